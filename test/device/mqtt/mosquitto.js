// Node side of the tests against Debian's mosquitto (a broker no one here wrote): `mosquitto -c <conf>` started by
// the test itself (never a system service) on 127.0.0.1 with one TLS listener using the fixture certificates
// (server.pem + ca.pem as the chain, server.key; TLS 1.2 at least), persistence in a temporary folder so that a
// restart keeps a persistent subscriber's session, and stopped by the test. A missing mosquitto is an error that
// says how to install it: these tests fail, they never skip.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { closedPort } from "../../support/ports.js";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const CERTS = fileURLToPath(new URL("../../fixtures/certs/", import.meta.url));

/** The mosquitto binary, or throws with what to do. */
export function mosquittoBinary() {
  for (const candidate of [process.env.MOSQUITTO, "/usr/sbin/mosquitto", "/usr/bin/mosquitto", "mosquitto"]) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ["-h"], { encoding: "utf8" });
    if (!probe.error && /mosquitto version/.test(`${probe.stdout}${probe.stderr}`)) return candidate;
  }
  throw new Error("mosquitto is not installed: these tests need Debian's broker (apt-get install -y mosquitto; .ci/run installs it)");
}

/** A free port on 127.0.0.1, outside the ephemeral range (test/support/ports.js). */
export const freePort = closedPort;

function connectable(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Start mosquitto on 127.0.0.1:port (a free one when not given) with its state in `dir` (a fresh temporary folder
 * when not given: pass the same one to a restart). Resolves { port, dir, log (its stderr lines), stop(signal) }.
 */
export async function startMosquitto({ port, dir } = {}) {
  const binary = mosquittoBinary();
  port ??= await freePort();
  dir ??= fs.mkdtempSync(path.join(os.tmpdir(), "mosquitto-"));
  const chain = path.join(dir, "server-chain.pem");
  fs.writeFileSync(chain, Buffer.concat([fs.readFileSync(path.join(CERTS, "server.pem")), Buffer.from("\n"), fs.readFileSync(path.join(CERTS, "ca.pem"))]));
  const conf = path.join(dir, "mosquitto.conf");
  fs.writeFileSync(conf, [
    "user root", // started as root (CI), stay so: the files are ours
    "per_listener_settings false",
    "allow_anonymous true",
    "persistence true",
    `persistence_location ${dir}/`,
    "log_dest stderr",
    "log_type error", "log_type warning", "log_type notice", "log_type information",
    "connection_messages true",
    `listener ${port} 127.0.0.1`,
    `certfile ${chain}`,
    `keyfile ${path.join(CERTS, "server.key")}`,
    `cafile ${path.join(CERTS, "ca.pem")}`,
    "tls_version tlsv1.2",
    "",
  ].join("\n"));
  const child = spawn(binary, ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
  const log = [];
  let exited = null;
  const exit = new Promise((resolve) => child.once("exit", (code, signal) => resolve(exited = { code, signal })));
  for (const stream of [child.stdout, child.stderr]) {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop();
      log.push(...lines);
    });
  }
  for (const deadline = Date.now() + 5000; !(await connectable(port));) {
    if (exited) throw new Error(`mosquitto exited (${JSON.stringify(exited)}) before listening on ${port}:\n${log.join("\n")}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`mosquitto not listening on ${port} after 5 s:\n${log.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    dir,
    log,
    pid: child.pid,
    /** Stop it (SIGTERM: mosquitto saves its state, as a service stop does; SIGKILL: the state since start is lost). */
    async stop(signal = "SIGTERM") {
      if (!exited) child.kill(signal);
      await exit;
    },
  };
}

/**
 * An mqtt.js subscriber with a persistent session (clean: false) at QoS 1 on `filter` that reconnects by itself
 * (every 200 ms) across a broker restart; `messages` fills as they come ({ topic, payload, qos, dup }).
 */
export async function persistentSubscriber(port, filter, clientId = "mosquitto-subscriber") {
  const { default: mqtt } = await import("mqtt");
  const ca = fs.readFileSync(path.join(CERTS, "ca.pem"));
  const client = mqtt.connect({
    protocol: "mqtts", host: "127.0.0.1", port, servername: "localhost", ca,
    clientId, clean: false, reconnectPeriod: 200, connectTimeout: 5000, protocolVersion: 4,
  });
  const messages = [];
  client.on("message", (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), qos: packet.qos, dup: !!packet.dup }));
  client.on("error", () => {});
  await new Promise((resolve, reject) => {
    client.once("connect", resolve);
    client.once("error", reject);
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    client,
    messages,
    async waitFor(predicate, timeoutMs) {
      for (const deadline = Date.now() + timeoutMs; !predicate(messages);) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
      return true;
    },
    // force, and never wait long: mqtt.js may be between two reconnection attempts
    close: () => Promise.race([client.endAsync(true), new Promise((r) => setTimeout(r, 1000))]),
  };
}
