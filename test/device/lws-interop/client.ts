// Interop, direction 1: our proxied client (ss/sspc, in XS) against libwebsockets' own Secure Streams proxy
// (v4.4.5, built outside the repository). tools/lws-interop/run.js starts that proxy, the TLS servers behind it and
// this app, and gives the cases in mc/config: each names the proxy (a TCP port on 127.0.0.1, or a unix socket path),
// a stream type of lws' policy and what to do:
//   "echo": as lws' own sspc client does, clientConnect() at CREATING, requestTx() at CONNECTED, the payload once
//           with SOM|EOM, destroy once it all came back;
//   "get":  clientConnect() at CREATING, take the body, destroy at DISCONNECTED.
// Per case it traces "case <name> states <lws names>", "case <name> rx <flags:len ...>", then "ok <name>" or
// "not ok <name> <why>"; "done" at the end. The Node side compares the states and bytes with what lws' own client saw.
import config from "mc/config";
import Timer from "timer";
import {
  LWSSSSRET_OK, LWSSSSRET_DESTROY_ME, LWSSSCS_CREATING, LWSSSCS_CONNECTED, LWSSSCS_DISCONNECTED,
  LWSSSCS_ALL_RETRIES_FAILED, LWSSSCS_DESTROYING, LWSSS_FLAG_SOM, LWSSS_FLAG_EOM, stateName,
} from "ss";
import { openContext, type Handle } from "ss/sspc";

interface Case {
  name: string;
  proxy: { port?: number; path?: string };
  streamtype: string;
  mode: "echo" | "get";
  /** echo: what is sent (ASCII); get: the body the server gives. */
  payload: string;
  timeoutMs?: number;
}

const cfg = config as unknown as { cases: Case[] };

function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

function text(b: Uint8Array, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => { Timer.set(() => resolve(), ms); });
}

class Life {
  readonly states: string[] = [];
  readonly chunks: string[] = [];
  rx = "";
  sent = false;
  ended = false;
}

async function runCase(c: Case): Promise<void> {
  const logLines: string[] = [];
  const ctx = openContext({ proxy: c.proxy, retryMs: 1000, log: (line: string) => { logLines.push(line); trace(`${line}\n`); } });
  const life = new Life();
  const payload = ascii(c.payload);
  const h: Handle<Life> = ctx.create<Life>({
    streamtype: c.streamtype,
    state(hh, _src, state) {
      hh.opaque.states.push(stateName(state));
      if (state === LWSSSCS_DESTROYING) hh.opaque.ended = true;
      if (state === LWSSSCS_CREATING) return hh.clientConnect();
      if (state === LWSSSCS_CONNECTED && c.mode === "echo" && !hh.opaque.sent) return hh.requestTx();
      if (state === LWSSSCS_DISCONNECTED && c.mode === "get") return LWSSSSRET_DESTROY_ME;
      if (state === LWSSSCS_ALL_RETRIES_FAILED) return LWSSSSRET_DESTROY_ME;
      return LWSSSSRET_OK;
    },
    tx(hh, _ord, buf, out) {
      buf.set(payload, 0);
      out.len = payload.length;
      out.flags = LWSSS_FLAG_SOM | LWSSS_FLAG_EOM;
      hh.opaque.sent = true;
      return LWSSSSRET_OK;
    },
    rx(hh, buf, len, flags) {
      const l = hh.opaque;
      l.chunks.push(`${flags & LWSSS_FLAG_SOM ? "S" : ""}${flags & LWSSS_FLAG_EOM ? "E" : ""}${flags & ~3 || !flags ? flags : ""}:${len}`);
      l.rx += text(buf, len);
      if (c.mode === "echo" && l.rx.length >= c.payload.length) return LWSSSSRET_DESTROY_ME;
      return LWSSSSRET_OK;
    },
  }, life);
  const end = Date.now() + (c.timeoutMs ?? 8000);
  while (!life.ended && Date.now() < end) await sleep(20);
  const timedOut = !life.ended;
  if (timedOut) h.destroy();
  await sleep(50);
  trace(`case ${c.name} states ${life.states.join(" ")}\n`);
  trace(`case ${c.name} rx ${life.chunks.join(" ")}\n`);
  let why = "";
  if (timedOut) why = `no DESTROYING within ${c.timeoutMs ?? 8000} ms`;
  else if (life.rx !== c.payload) why = `rx "${life.rx}" is not "${c.payload}"`;
  else if (ctx.streams !== 0) why = `${ctx.streams} streams left`;
  trace(why ? `not ok ${c.name} ${why}\n` : `ok ${c.name}\n`);
  ctx.destroy();
}

async function main(): Promise<void> {
  for (const c of cfg.cases) await runCase(c);
  trace("done\n");
}

main().catch((e) => trace(`not ok main ${String(e)}\ndone\n`));
