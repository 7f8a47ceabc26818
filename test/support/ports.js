// Ports for tests: one where nothing listens (a connection to it is refused, or the test binds it itself later).
// It is chosen below the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by
// default), where neither outgoing connections nor listen(0) ever land: a port taken from listen(0) and released
// can become the local port of some later outgoing connection of the run, and then a "refused" port answers, or a
// listener the test binds there fails with EADDRINUSE.
import net from "node:net";
import { readFileSync } from "node:fs";

function ephemeralStart() {
  try {
    const start = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    if (Number.isInteger(start) && start > 2048) return start;
  } catch { /* not Linux: the default */ }
  return 32768;
}

const HIGH = ephemeralStart();
const LOW = Math.max(1024, HIGH - 12000);

function bindable(port) {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1 where nothing listens, outside the ephemeral range. */
export async function closedPort() {
  for (let i = 0; i < 100; i++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in ${LOW}-${HIGH - 1}`);
}
