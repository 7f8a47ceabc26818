// The transport mux over a serial port, as on a board: our proxy (ss/proxy, `link: { io: Serial, ... }`) opens a
// pty with `embedded:io/serial` (the SDK's Linux serial and our simulator open the path in option `device`); our
// client's mux reaches the pty's other side over TCP through test/ss-mux.test.js's python bridge. Raw echo, h1 GET,
// two streams at once, and a garbage byte on the line (both ends reset, the stream comes back).
import config from "mc/config";
import Serial from "embedded:io/serial";
import TCP from "embedded:io/socket/tcp";
import { createContext, LWSSSSRET_OK, LWSSSSRET_DESTROY_ME, LWSSSCS_CREATING, LWSSSCS_DISCONNECTED } from "ss";
import { parsePolicy } from "ss/policy";
import { startProxy } from "ss/proxy";
import { createProxiedContext } from "ss/sspc";
import { Mux } from "ss/mux";
import { Recorder, Pattern, runAsync, check, equal, sleep } from "../ss/support";
import { echoApp } from "../ss-proxy/support";
import { NoisyTCP, until } from "./support";

const cfg = config as unknown as { policy: string; serial: { device: string; baud: number }; bridgePort: number };
const policy = parsePolicy(cfg.policy, { log: () => {}, limits: { maxStreams: 32 } });
const logTo = (line: string) => trace(`${line}\n`);

async function main(): Promise<void> {
  const local = createContext({ policy, log: logTo });
  const proxy = startProxy({ context: local, link: { io: Serial, ...cfg.serial }, log: logTo });
  const mux = new Mux({ role: "client", link: { io: NoisyTCP, address: "127.0.0.1", port: cfg.bridgePort }, log: logTo });
  const ctx = createProxiedContext({ proxy: { mux }, log: logTo, retryMs: 200 });

  await runAsync("serial-link-comes-up", async () => {
    check(await until(() => mux.up && proxy.mux!.up, 5000), `link: client ${mux.up}, proxy ${proxy.mux!.up}`);
  });

  await runAsync("serial-raw-echo-and-two-streams-at-once", async () => {
    const a = echoApp(ctx, "echo", 8000);
    const b = echoApp(ctx, "echo", 6000);
    await a.until("DESTROYING", 15000);
    await b.until("DESTROYING", 15000);
    equal(a.rxBytes, 8000, "stream a bytes");
    equal(b.rxBytes, 6000, "stream b bytes");
    equal(a.badByte + b.badByte, -2, "first wrong bytes");
    equal(a.sequence(), "CREATING CONNECTING CONNECTED DISCONNECTED DESTROYING", "states");
  });

  await runAsync("serial-h1-get", async () => {
    const r = new Recorder(new Pattern());
    ctx.create<Recorder>({
      streamtype: "get",
      state(h, _s, state) {
        h.opaque.state(state);
        if (state === LWSSSCS_CREATING) {
          h.setMetadata("unit", "7");
          h.setMetadata("xunit", "seven");
          return h.clientConnect();
        }
        return state === LWSSSCS_DISCONNECTED ? LWSSSSRET_DESTROY_ME : LWSSSSRET_OK;
      },
      rx(h, buf, len, flags) { h.opaque.received(buf, len, flags); return LWSSSSRET_OK; },
    }, r);
    await r.until("DESTROYING", 15000);
    equal(r.sequence(), "CREATING CONNECTING CONNECTED QOS_ACK_REMOTE DISCONNECTED DESTROYING", "states");
    equal(r.rxBytes, 5000, "body bytes");
    equal(r.badByte, -1, "first wrong byte");
  });

  await runAsync("serial-line-noise-resets-the-link-and-it-recovers", async () => {
    const downs = mux.stats.linkDowns;
    NoisyTCP.noise(0x00);
    check(await until(() => mux.stats.linkDowns > downs, 5000), "the client's link never went down");
    check(await until(() => mux.up && proxy.mux!.up, 8000), "the link did not come back");
    equal(proxy.mux!.stats.badCommands, 1, "the proxy saw one bad command");
    const r = echoApp(ctx, "echo", 3000);
    await r.until("DESTROYING", 15000);
    equal(r.rxBytes, 3000, "echo after the reset");
  });

  await sleep(100);
  ctx.destroy();
  proxy.close();
  mux.close();
  await sleep(100);
  trace(`streams left ${local.streams}\n`);
  trace("done\n");
}

main().catch((e) => trace(`not ok main ${String(e)}\ndone\n`));
