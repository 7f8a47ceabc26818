// Device side of bench/ss-proxy.js: the same echo app on a raw stream, direct (a local context: the stream's TLS
// connection) and proxied (our client -> link -> our proxy -> the same kind of stream), in one XS machine. Called
// from cranks: setup(proxyPort), then go(kind, total, size) per run ("direct" | "proxied"; `total` payload bytes
// in tx calls of `size`), which traces "bench: done <kind> <link bytes> <tx messages> <rx bytes>".
import config from "mc/config";
import { createContext, LWSSSSRET_OK, LWSSSSRET_DESTROY_ME, LWSSSCS_CREATING, LWSSSCS_CONNECTED } from "ss";
import { parsePolicy } from "ss/policy";
import { startProxy, type Proxy } from "ss/proxy";
import { createProxiedContext, type AppContext, type Handle } from "ss/sspc";

const cfg = config as unknown as { policy: string };
let direct: AppContext | undefined;
let proxied: AppContext | undefined;
let proxy: Proxy | undefined;

export function setup(proxyPort: number): void {
  const local = createContext({ policy: parsePolicy(cfg.policy, { log: () => {}, limits: { maxStreams: 32 } }), log: () => {} });
  direct = local;
  proxy = startProxy({ context: local, port: proxyPort, log: () => {} });
  proxied = createProxiedContext({ proxy: { port: proxyPort }, log: () => {} });
}

export function go(kind: "direct" | "proxied", total: number, size: number): void {
  const ctx = kind === "direct" ? direct! : proxied!;
  const before = proxy!.stats.bytesIn + proxy!.stats.bytesOut;
  const run = { sent: 0, got: 0, messages: 0 };
  ctx.create<typeof run>({
    streamtype: "echo",
    state(h: Handle<typeof run>, _s, state) {
      if (state === LWSSSCS_CREATING) return h.clientConnect();
      if (state === LWSSSCS_CONNECTED) return h.requestTx();
      return LWSSSSRET_OK;
    },
    tx(h: Handle<typeof run>, _o, buf, out) {
      const r = h.opaque;
      let n = total - r.sent;
      if (n > size) n = size;
      if (n > out.len) n = out.len;
      buf.fill(0x5a, 0, n);
      r.sent += n;
      r.messages++;
      out.len = n;
      if (r.sent < total) h.requestTx();
      return LWSSSSRET_OK;
    },
    rx(h: Handle<typeof run>, _b, len) {
      const r = h.opaque;
      r.got += len;
      if (r.got < total) return LWSSSSRET_OK;
      const wire = proxy!.stats.bytesIn + proxy!.stats.bytesOut - before;
      trace(`bench: done ${kind} ${wire} ${r.messages} ${r.got}\n`);
      return LWSSSSRET_DESTROY_ME;
    },
  }, run);
}
