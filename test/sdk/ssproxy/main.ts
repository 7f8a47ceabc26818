// conformance:sdk app (test/sdk/run.js, "ssproxy"): Secure Streams' serialized proxy and its client in one device,
// on the SDK's own XS, TCP and TLS. A client stream opens `echo_raw` through our proxy, first over a TCP connection
// to the device's own listener (127.0.0.1:proxyPort), then over lws' transport mux on one TCP link to itself
// (linkPort); the proxy runs the real stream from the policy (raw TLS to the host's echo server, localhost:7443).
// Traces `ssproxy: <how> <bytes> <states>` for each, then `ssproxy: done`.
import config from "mc/config";
import Resource from "Resource";
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import Timer from "timer";
import { createContext, stateName, LWSSSSRET_OK, LWSSSSRET_DESTROY_ME, LWSSSCS_CREATING, LWSSSCS_CONNECTED } from "ss";
import { parsePolicy } from "ss/policy";
import { startProxy, type Proxy } from "ss/proxy";
import { createProxiedContext, type AppContext, type Handle } from "ss/sspc";
import { Mux } from "ss/mux";

type Settings = { policy: string; proxyPort: number; linkPort: number };
const settings = (config as unknown as { ssproxy: Settings }).ssproxy;
const TOTAL = 3000;
const log = (line: string): void => { if (line.indexOf("closed") >= 0 || line.indexOf("fail") >= 0) trace(`${line}\n`); };

function text(name: string): string {
  const bytes = new Uint8Array(new Resource(name).slice(0));
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

type Echo = { states: string[]; sent: number; got: number; bad: number; done: () => void };

/** echo_raw through `ctx`: TOTAL bytes (i & 0xff) out from CONNECTED on, destroyed when all came back. */
function echo(ctx: AppContext): Promise<Echo> {
  return new Promise((resolve) => {
    const e: Echo = { states: [], sent: 0, got: 0, bad: -1, done: () => resolve(e) };
    const deadline = Timer.set(() => e.done(), 15000);
    ctx.create<Echo>({
      streamtype: "echo_raw",
      state(h: Handle<Echo>, _src, state) {
        h.opaque.states.push(stateName(state).replace("LWSSSCS_", ""));
        if (state === LWSSSCS_CREATING) return h.clientConnect();
        if (state === LWSSSCS_CONNECTED) return h.requestTx();
        if (stateName(state) === "LWSSSCS_DESTROYING") {
          Timer.clear(deadline);
          h.opaque.done();
        }
        return LWSSSSRET_OK;
      },
      tx(h: Handle<Echo>, _ord, buf, out) {
        const o = h.opaque;
        const n = Math.min(out.len, TOTAL - o.sent, 500);
        for (let i = 0; i < n; i++) buf[i] = (o.sent + i) & 0xff;
        o.sent += n;
        out.len = n;
        if (o.sent < TOTAL) h.requestTx();
        return LWSSSSRET_OK;
      },
      rx(h: Handle<Echo>, buf, len) {
        const o = h.opaque;
        for (let i = 0; i < len; i++) if (buf[i] !== ((o.got + i) & 0xff) && o.bad < 0) o.bad = o.got + i;
        o.got += len;
        return o.got >= TOTAL ? LWSSSSRET_DESTROY_ME : LWSSSSRET_OK;
      },
    }, e);
  });
}

function report(how: string, e: Echo): void {
  trace(`ssproxy: ${how} ${e.got === TOTAL && e.bad < 0 ? "ok" : "FAILED"} ${e.got} ${e.states.join(" ")}\n`);
}

async function main(): Promise<void> {
  const local = createContext({ policy: parsePolicy(text(settings.policy)), log });
  // 1. one TCP connection per stream, to the proxy's listener
  const proxy: Proxy = startProxy({ context: local, port: settings.proxyPort, log });
  const viaTcp = createProxiedContext({ proxy: { port: settings.proxyPort }, log, retryMs: 200 });
  report("tcp", await echo(viaTcp));
  viaTcp.destroy();
  proxy.close();
  // 2. lws' transport mux over one TCP link: the proxy serves the link the listener accepts
  let served: Proxy | undefined;
  const listener = new Listener({
    port: settings.linkPort,
    address: "127.0.0.1",
    onReadable: () => {
      const from = listener.read();
      if (from && !served) served = startProxy({ context: local, link: { io: TCP, from }, log });
    },
  }) as Listener & { close(): void };
  const mux = new Mux({ role: "client", link: { io: TCP, address: "127.0.0.1", port: settings.linkPort }, log });
  const viaMux = createProxiedContext({ proxy: { mux }, log, retryMs: 200 });
  for (let i = 0; i < 100 && !mux.up; i++) await new Promise((r) => Timer.set(r, 20));
  report("mux", await echo(viaMux));
  viaMux.destroy();
  mux.close();
  served?.close();
  listener.close();
  trace(`ssproxy: done, streams left ${local.streams}\n`);
}

main().catch((error: unknown) => trace(`ssproxy: FAILED ${String(error)}\n`));
