// Serialized Secure Streams (ss/serial, ss/proxy, ss/sspc) in XS: golden frames from ../shared/peers.md byte for
// byte, then our client through our proxy to real servers on 127.0.0.1 (test/ss-proxy.test.js starts them and
// gives the policy and ports in mc/config). Reports "ok <name>" / "not ok <name> <why>", then "done".
import config from "mc/config";
import {
  createContext, LWSSSSRET_OK, LWSSSSRET_DESTROY_ME, LWSSSCS_CREATING, LWSSSCS_DISCONNECTED, LWSSS_FLAG_SOM,
  LWSSS_FLAG_EOM, LWSSS_SER_TXPRE_ONWARD_CONNECT, LWSSS_SER_TXPRE_TX_PAYLOAD, LWSSS_SER_RXPRE_RX_PAYLOAD,
  LWSSS_SER_TXPRE_DESTROYING, LWSSS_SER_TXPRE_METADATA, LWS_SS_MTU,
} from "ss";
import { parsePolicy } from "ss/policy";
import { startProxy, type Proxy } from "ss/proxy";
import { createProxiedContext, openContext, type ProxiedStream } from "ss/sspc";
import { tcpConnector } from "ss/tcp";
import {
  Frame, frameLength, decode, writeStreamType, writeCreateResult, writeConnState, writeEmpty, writePayloadHeader,
  writeMetadata, NEED_MORE, BAD_PREFIX, TOO_LONG, BAD_LENGTH, PAYLOAD_AT,
} from "ss/serial";
import { Recorder, Pattern, run, runAsync, check, equal, sleep } from "../ss/support";

const cfg = config as unknown as { policy: string; proxyPort: number; proxyPort2: number; only?: string };
const policy = parsePolicy(cfg.policy, { log: () => {}, limits: { maxStreams: 32 } });
const log: string[] = [];
const logTo = (line: string) => { log.push(line); trace(`${line}\n`); };

function hex(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += (i > start ? " " : "") + (b[i]! < 16 ? "0" : "") + b[i]!.toString(16);
  return s;
}

function golden(): void {
  const b = new Uint8Array(128);
  // lws sspc-transport.c, LPCSCLI_SENDING_INITIAL_TX: STREAMTYPE version 1, pid 0x4e99, credit 500000000, name
  run("golden-streamtype-lws_sspc_txp_tx-LPCSCLI_SENDING_INITIAL_TX", () => {
    const end = writeStreamType(b, 0, 1, 0x4e99, 500000000, "echo_raw");
    equal(hex(b, 0, end), "aa 00 11 01 00 00 4e 99 1d cd 65 00 65 63 68 6f 5f 72 61 77", "bytes");
    const f = decode(b, 0, frameLength(b, 0, end, "to-proxy", 128), new Frame());
    equal(`${f.version} ${f.pid} ${f.value} ${f.name}`, "1 20121 500000000 echo_raw", "decoded");
  });
  // lws proxy-transport.c lws_ssproxy_txp_proxy_can_write, LPCSPROX_REPORTING_OK: result 0, client_buflen, ",type"
  run("golden-create-result-ok-lws_ssproxy_txp_proxy_can_write-REPORTING_OK", () => {
    const end = writeCreateResult(b, 0, 0, 0, "echo_raw");
    equal(hex(b, 0, end), "56 00 0e 00 00 00 00 00 2c 65 63 68 6f 5f 72 61 77", "bytes");
    const f = decode(b, 0, frameLength(b, 0, end, "to-client", 128), new Frame());
    equal(`${f.result} ${f.buflen} ${f.name}`, "0 0 echo_raw", "decoded");
  });
  // same function, LPCSPROX_REPORTING_FAIL: result 1, buflen 0, nothing after
  run("golden-create-result-fail-lws_ssproxy_txp_proxy_can_write-REPORTING_FAIL", () => {
    const end = writeCreateResult(b, 0, 1, 0, "");
    equal(hex(b, 0, end), "56 00 05 01 00 00 00 00", "bytes");
  });
  // lws proxy: CONNSTATE u8 state + u32 ordinal; CREATING 1, CONNECTING 6, CONNECTED 5; >= 256: u32 state, length 8
  run("golden-connstate-lws_ss_serialize_state", () => {
    equal(hex(b, 0, writeConnState(b, 0, 1, 0)), "57 00 05 01 00 00 00 00", "CREATING");
    equal(hex(b, 0, writeConnState(b, 0, 6, 0)), "57 00 05 06 00 00 00 00", "CONNECTING");
    equal(hex(b, 0, writeConnState(b, 0, 5, 0)), "57 00 05 05 00 00 00 00", "CONNECTED");
    equal(hex(b, 0, writeConnState(b, 0, 1000, 7)), "57 00 08 00 00 03 e8 00 00 00 07", "user state");
    const f = decode(b, 0, 11, new Frame());
    equal(`${f.state} ${f.ordinal}`, "1000 7", "decoded wide");
  });
  run("golden-onward-connect-and-destroying", () => {
    equal(hex(b, 0, writeEmpty(b, 0, LWSSS_SER_TXPRE_ONWARD_CONNECT)), "ab 00 00", "ONWARD_CONNECT");
    equal(hex(b, 0, writeEmpty(b, 0, LWSSS_SER_TXPRE_DESTROYING)), "ac 00 00", "DESTROYING");
  });
  // lws sspc TX_PAYLOAD: u32 flags SOM|EOM, u32 latency 0x65, u64 µs timestamp, payload (16 bytes: length 0x20)
  run("golden-tx-payload-lws_sspc_txp_tx-TX_PAYLOAD", () => {
    for (let i = 0; i < 16; i++) b[PAYLOAD_AT + i] = 0x41 + i;
    const end = writePayloadHeader(b, 0, LWSSS_SER_TXPRE_TX_PAYLOAD, 3, 0x65, 0x0102030405, 16);
    equal(hex(b, 0, 19), "ad 00 20 00 00 00 03 00 00 00 65 00 00 00 01 02 03 04 05", "header");
    const f = decode(b, 0, frameLength(b, 0, end, "to-proxy", 128), new Frame());
    equal(`${f.flags} ${f.latency} ${f.timestamp} ${f.payloadAt} ${f.payloadEnd}`, "3 101 4328719365 19 35", "decoded");
  });
  // lws proxy RX_PAYLOAD: flags, latency 0, timestamp, payload at offset 19 (the header comment says 17)
  run("golden-rx-payload-payload-at-offset-19", () => {
    const end = writePayloadHeader(b, 0, LWSSS_SER_RXPRE_RX_PAYLOAD, 0, 0, 0, 16);
    equal(hex(b, 0, 11), "55 00 20 00 00 00 00 00 00 00 00", "header");
    const f = decode(b, 0, frameLength(b, 0, end, "to-client", 128), new Frame());
    equal(f.payloadAt, 19, "payload offset");
  });
  run("golden-metadata-name-length-name-value", () => {
    const end = writeMetadata(b, 0, LWSSS_SER_TXPRE_METADATA, "unit", "7");
    equal(hex(b, 0, end), "ae 00 06 04 75 6e 69 74 37", "bytes");
  });
  run("frame-bounds-need-more-vs-bad", () => {
    const end = writeStreamType(b, 0, 1, 0, 0, "echo_raw");
    for (let i = 0; i < end; i++) equal(frameLength(b, 0, i, "to-proxy", 128), NEED_MORE, `prefix of ${i}`);
    equal(frameLength(b, 0, end, "to-proxy", 10), TOO_LONG, "beyond the buffer");
    b[0] = 0x42;
    equal(frameLength(b, 0, 1, "to-proxy", 128), BAD_PREFIX, "unknown prefix at once");
    b[0] = 0x56;
    equal(frameLength(b, 0, 1, "to-proxy", 128), BAD_PREFIX, "proxy frame towards the proxy");
    b.set([0xab, 0x00, 0x01]);
    equal(frameLength(b, 0, 3, "to-proxy", 128), BAD_LENGTH, "ONWARD_CONNECT with a body");
  });
}

type AnyH = ProxiedStream<Recorder>;

async function proxiedEcho(ctx: ReturnType<typeof createProxiedContext>, total: number): Promise<Recorder> {
  const r = new Recorder(new Pattern());
  const source = new Pattern();
  let sent = 0;
  ctx.create<Recorder>({
    streamtype: "echo",
    state(h: AnyH, _s, state) {
      h.opaque.state(state);
      if (state === LWSSSCS_CREATING) return h.requestTx();
      return LWSSSSRET_OK;
    },
    tx(h: AnyH, _o, buf, out) {
      const n = Math.min(out.len, total - sent);
      source.fill(buf, n);
      sent += n;
      out.len = n;
      if (sent < total) h.requestTx();
      return LWSSSSRET_OK;
    },
    rx(h: AnyH, buf, len, flags) {
      h.opaque.received(buf, len, flags);
      return h.opaque.rxBytes >= total ? LWSSSSRET_DESTROY_ME : LWSSSSRET_OK;
    },
  }, r);
  await r.until("DESTROYING");
  return r;
}

async function main(): Promise<void> {
  golden();
  if (cfg.only === "serial") {
    // test/ss-serial.test.js: the wire codec alone (the proxy and the proxied client are unfinished: issue 15)
    trace("done\n");
    return;
  }
  const local = createContext({ policy, log: logTo });
  const proxy: Proxy = startProxy({ context: local, port: cfg.proxyPort, log: logTo });
  const ctx = createProxiedContext({ proxy: { port: cfg.proxyPort }, log: logTo, retryMs: 200 });

  await runAsync("proxied-raw-echo", async () => {
    const r = await proxiedEcho(ctx, 5000);
    trace(`states proxied echo: ${r.sequence()}\n`);
    equal(r.rxBytes, 5000, "bytes echoed");
    equal(r.badByte, -1, "first wrong byte");
    equal(r.sequence(), "CREATING CONNECTING CONNECTED DISCONNECTED DESTROYING", "states");
  });

  await runAsync("proxied-h1-get", async () => {
    const r = new Recorder(new Pattern());
    ctx.create<Recorder>({
      streamtype: "get",
      state(h: AnyH, _s, state) {
        h.opaque.state(state);
        if (state === LWSSSCS_CREATING) {
          h.setMetadata("unit", "7");
          h.setMetadata("xunit", "seven");
          return h.clientConnect();
        }
        if (state === LWSSSCS_DISCONNECTED) return LWSSSSRET_DESTROY_ME;
        return LWSSSSRET_OK;
      },
      rx(h: AnyH, buf, len, flags) { h.opaque.received(buf, len, flags); return LWSSSSRET_OK; },
    }, r);
    await r.until("DESTROYING");
    trace(`states proxied get: ${r.sequence()} rx ${r.rxSummary()}\n`);
    equal(r.sequence(), "CREATING CONNECTING CONNECTED QOS_ACK_REMOTE DISCONNECTED DESTROYING", "states");
    equal(r.rxBytes, 5000, "body bytes");
    equal(r.badByte, -1, "first wrong byte");
  });

  await runAsync("unknown-streamtype-gets-the-lws-failure-frame", async () => {
    const conn = tcpConnector()("127.0.0.1", cfg.proxyPort, { connectTimeout: 2000, idleTimeout: 0, rxSize: 256, txSize: 256, tag: "raw" });
    while (conn.state !== "open") await conn.wait(500);
    const b = new Uint8Array(64);
    conn.write(b, 0, writeStreamType(b, 0, 1, 0, 500000000, "nosuch"));
    let n = 0;
    for (let i = 0; i < 20 && n < 8; i++) { await conn.wait(100); n += conn.read(b, n, 64 - n); }
    equal(hex(b, 0, n), "56 00 05 01 00 00 00 00", "failure frame");
    conn.close();
  });

  await runAsync("10000-random-frames-leave-the-proxy-serving", async () => {
    const before = proxy.stats.closedBad;
    let seed = 12345;
    const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
    const b = new Uint8Array(2048);
    let frames = 0, conns = 0;
    while (frames < 10000) {
      const conn = tcpConnector()("127.0.0.1", cfg.proxyPort, { connectTimeout: 2000, idleTimeout: 0, rxSize: 4096, txSize: 4096, tag: "fuzz" });
      conns++;
      while (conn.state === "connecting" || conn.state === "resolving") await conn.wait(500);
      // a valid STREAMTYPE half the time, then random frames (prefixes near lws' and any), until the proxy closes
      let at = 0;
      if (rnd() & 1) at = writeStreamType(b, 0, 1, 0, 500000000, rnd() & 2 ? "echo" : "nosuch");
      for (let k = 0; k < 50; k++) {
        const kind = rnd() % 4;
        const prefix = kind === 0 ? rnd() & 0xff : 0xaa + (rnd() % 9);
        const len = kind === 1 ? rnd() & 0xffff : rnd() % 40;
        const body = len < 60 ? len : 60;
        if (at + 3 + body > b.length) break;
        b[at] = prefix; b[at + 1] = len >> 8; b[at + 2] = len & 0xff;
        for (let i = 0; i < body; i++) b[at + 3 + i] = rnd() & 0xff;
        at += 3 + body;
        frames++;
      }
      try { conn.write(b, 0, Math.min(at, conn.writable)); } catch { /* closed by the proxy */ }
      await conn.wait(5);
      conn.close();
    }
    await sleep(300);
    trace(`fuzz: ${frames} frames on ${conns} connections; closed for bad input ${proxy.stats.closedBad - before}; clients left ${proxy.clients}\n`);
    check(proxy.stats.closedBad - before > 0, "some connections were refused");
    const r = await proxiedEcho(ctx, 3000);
    equal(r.rxBytes, 3000, "echo after the fuzz");
  });

  await runAsync("proxy-restart-gives-disconnected-then-a-clean-reconnect", async () => {
    const p2port = cfg.proxyPort2;
    let p2: Proxy | undefined = startProxy({ context: local, port: p2port, log: logTo });
    const ctx2 = createProxiedContext({ proxy: { port: p2port }, log: logTo, retryMs: 200 });
    const r = new Recorder(new Pattern());
    const source = new Pattern();
    let round = 0;
    ctx2.create<Recorder>({
      streamtype: "echo_ip",
      state(h: AnyH, _s, state) {
        h.opaque.state(state);
        if (state === LWSSSCS_CREATING || state === LWSSSCS_DISCONNECTED && round === 1) return h.requestTx();
        return LWSSSSRET_OK;
      },
      tx(_h: AnyH, _o, buf, out) { source.fill(buf, 100); out.len = 100; return LWSSSSRET_OK; },
      rx(h: AnyH, buf, len, flags) {
        h.opaque.received(buf, len, flags);
        if (h.opaque.rxBytes === 100 && round === 0) { round = 1; p2!.close(); p2 = undefined; }
        return h.opaque.rxBytes >= 200 ? LWSSSSRET_DESTROY_ME : LWSSSSRET_OK;
      },
    }, r);
    for (let i = 0; i < 100 && round === 0; i++) await sleep(20);
    await sleep(300);
    p2 = startProxy({ context: local, port: p2port, log: logTo });
    await r.until("DESTROYING");
    trace(`states restart: ${r.sequence()}\n`);
    equal(r.sequence(), "CREATING CONNECTING CONNECTED DISCONNECTED CONNECTING CONNECTED DISCONNECTED DESTROYING", "states");
    equal(r.rxBytes, 200, "bytes");
    p2.close();
  });

  await runAsync("open-context-chooses-by-configuration", async () => {
    const a = openContext({ proxy: { port: cfg.proxyPort }, log: logTo });
    const b = openContext({ policy, log: logTo });
    check("create" in a && "create" in b, "both contexts create");
  });

  await runAsync("bench-bytes-and-compute-per-payload-byte", async () => {
    const total = 200000;
    let t = Date.now();
    const s0 = proxy.stats.bytesIn + proxy.stats.bytesOut;
    const r1 = await proxiedEcho(ctx, total);
    const proxied = Date.now() - t;
    const wire = proxy.stats.bytesIn + proxy.stats.bytesOut - s0;
    t = Date.now();
    const r2 = new Recorder(new Pattern());
    const source = new Pattern();
    let sent = 0;
    local.create<Recorder>({
      streamtype: "echo",
      state(h, _s, state) { h.opaque.state(state); return state === LWSSSCS_CREATING ? h.requestTx() : LWSSSSRET_OK; },
      tx(h, _o, buf, out) { const n = Math.min(out.len, total - sent); source.fill(buf, n); sent += n; out.len = n; if (sent < total) h.requestTx(); return LWSSSSRET_OK; },
      rx(h, buf, len, flags) { h.opaque.received(buf, len, flags); return h.opaque.rxBytes >= total ? LWSSSSRET_DESTROY_ME : LWSSSSRET_OK; },
    }, r2);
    await r2.until("DESTROYING");
    const direct = Date.now() - t;
    trace(`bench: ${total} payload bytes each way; proxied link bytes ${wire} (${(wire / (2 * total)).toFixed(4)} per payload byte, ${((wire - 2 * total) / (2 * total) * 100).toFixed(2)}% framing); proxied ${proxied} ms (${(proxied * 1000 / total).toFixed(3)} µs/byte incl. both ends), direct ${direct} ms (${(direct * 1000 / total).toFixed(3)} µs/byte)\n`);
    equal(r1.rxBytes, total, "proxied bytes");
    equal(r2.rxBytes, total, "direct bytes");
  });

  await sleep(100);
  proxy.close();
  ctx.destroy();
  await sleep(100);
  trace(`streams left ${local.streams}\n`);
  trace("done\n");
  void LWSSS_FLAG_SOM; void LWSSS_FLAG_EOM; void LWS_SS_MTU;
}

main().catch((e) => trace(`not ok main ${String(e)}\ndone\n`));
