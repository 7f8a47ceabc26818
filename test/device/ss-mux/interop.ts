// Interop probe (not in npm test; run by hand, see modules/ss/README.md): our mux client (ss/sspc over ss/mux) against lws 4.4.5's transport mux
// proxy on a pty. Prints the states and bytes of each stream, then "interop: ok" or "interop: FAILED".
import config from "mc/config";
import TCP from "embedded:io/socket/tcp";
import Timer from "timer";
import { LWSSSSRET_OK, LWSSSSRET_DESTROY_ME, LWSSSCS_CREATING, LWSSSCS_CONNECTED, stateName } from "ss";
import { createProxiedContext } from "ss/sspc";
import { Mux } from "ss/mux";

// `any`: mc/config is untyped; --config '{"interop":{...}}' overrides these.
const cfg = { linkPort: 7790, streamtype: "echo_raw", streams: 2, bytes: 3000, txMax: 900, linkTx: 2048, ...(config as any).interop } as
  { linkPort: number; streamtype: string; streams: number; bytes: number; txMax: number; linkTx: number };
const mux = new Mux({ role: "client", link: { io: TCP, address: "127.0.0.1", port: cfg.linkPort }, txSize: cfg.linkTx });
// txMax: lws' proxy asserts on a TX_PAYLOAD that reaches it in pieces (modules/ss/README.md)
const ctx = createProxiedContext({ proxy: { mux }, retryMs: 1000, txMax: cfg.txMax });
let done = 0, good = 0;
function finish(): void {
  if (++done < cfg.streams) return;
  trace(`interop: ${good === cfg.streams ? "ok" : "FAILED"} (${good} of ${cfg.streams} streams echoed ${cfg.bytes} bytes); mux ${JSON.stringify(mux.stats)}\n`);
  Timer.set(() => { ctx.destroy(); Timer.set(() => mux.close(), 300); }, 200);
}
function stream(n: number): void {
  let sent = 0, got = 0, bad = -1;
  const states: string[] = [];
  ctx.create<number>({
    streamtype: cfg.streamtype,
    state(h, _s, state) {
      states.push(stateName(state).replace("LWSSSCS_", ""));
      if (state === LWSSSCS_CREATING) return h.clientConnect();
      if (state === LWSSSCS_CONNECTED) return h.requestTx();
      return LWSSSSRET_OK;
    },
    tx(h, _o, buf, out) {
      let k = cfg.bytes - sent;
      if (k > out.len) k = out.len;
      for (let i = 0; i < k; i++) buf[i] = (sent + i + n) & 0xff;
      sent += k;
      out.len = k;
      return LWSSSSRET_OK; // the next payload once this one is back: lws' proxy takes one TX_PAYLOAD at a time

    },
    rx(h, buf, len) {
      for (let i = 0; i < len; i++) if (buf[i] !== ((got + i + n) & 0xff) && bad < 0) bad = got + i;
      got += len;
      if (got < cfg.bytes) {
        if (got === sent) h.requestTx();
        return LWSSSSRET_OK;
      }
      trace(`stream ${n}: ${got} bytes back, first wrong byte ${bad}; states ${states.join(" ")}\n`);
      if (bad < 0) good++;
      finish();
      return LWSSSSRET_DESTROY_ME;
    },
  }, n);
}
for (let i = 0; i < cfg.streams; i++) stream(i);
Timer.set(() => { if (done < cfg.streams) { trace(`interop: FAILED (timeout: ${done} done)\n`); ctx.destroy(); mux.close(); } }, 20000);
