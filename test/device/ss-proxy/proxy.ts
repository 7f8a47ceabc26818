// Serialized Secure Streams (ss/serial, ss/proxy, ss/sspc) in XS: golden frames from ../shared/peers.md byte for
// byte (the codec alone, then what our client and our proxy actually put on their links), then our client through
// our proxy to real servers on 127.0.0.1: raw echo, h1 GET with metadata both ways, mqtt publish and subscribe
// through aedes (the same states and rx as on a local context), many streams at once, the lws
// failure frame, the same app code on a local or a proxied context, a unix socket (simulator), a listen retried
// while its port is taken, a proxy restart. test/ss-proxy.test.js starts the servers and gives the policy and
// ports in mc/config; `only: "serial"` runs the codec cases alone (test/ss-serial.test.js). Reports
// "ok <name>" / "not ok <name> <why>", then "done".
import config from "mc/config";
import Listener from "embedded:io/socket/listener";
import {
  createContext, LWSSSSRET_OK, LWSSSSRET_DESTROY_ME, LWSSSCS_CREATING, LWSSSCS_DISCONNECTED,
  LWSSS_SER_TXPRE_ONWARD_CONNECT, LWSSS_SER_TXPRE_TX_PAYLOAD, LWSSS_SER_RXPRE_RX_PAYLOAD,
  LWSSS_SER_TXPRE_DESTROYING, LWSSS_SER_TXPRE_METADATA, LWSSS_FLAG_SOM, LWSSS_FLAG_EOM,
} from "ss";
import { parsePolicy } from "ss/policy";
import { startProxy, type Proxy } from "ss/proxy";
import { createProxiedContext, openContext, type AppContext, type Handle } from "ss/sspc";
import {
  Frame, frameLength, decode, writeStreamType, writeCreateResult, writeConnState, writeEmpty, writePayloadHeader,
  writeMetadata, NEED_MORE, BAD_PREFIX, TOO_LONG, BAD_LENGTH, PAYLOAD_AT,
} from "ss/serial";
import { Recorder, Pattern, run, runAsync, check, equal, sleep } from "../ss/support";
import { hex as bytes } from "../common/check";
import {
  FakeProxy, echoApp, getApp, twoRoundsApp, hexOf, rawLink, opened, readN, closedByPeer, rawEchoScenario, h1GetScenario, mqttAsLocalScenario,
} from "./support";

const cfg = config as unknown as {
  policy: string; proxyPort: number; proxyPort2: number; fakePort: number; busyPort: number; unixPath: string;
  only?: string;
};
const policy = parsePolicy(cfg.policy, { log: () => {}, limits: { maxStreams: 32 } });
const log: string[] = [];
const logTo = (line: string) => { log.push(line); trace(`${line}\n`); };
const hex = hexOf;

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

/** Lines logged since `from` that contain `text`. */
function logged(from: number, text: string): number {
  let n = 0;
  for (let i = from; i < log.length; i++) if (log[i]!.indexOf(text) >= 0) n++;
  return n;
}

async function wireGolden(proxy: Proxy): Promise<void> {
  // Our client, against a stand-in proxy that speaks peers.md's bytes: what the client writes, byte for byte.
  await runAsync("golden-wire-client-lws_sspc_txp_tx-STREAMTYPE-ONWARD_CONNECT-TX_PAYLOAD", async () => {
    const fake = new FakeProxy(cfg.fakePort);
    const ctx = createProxiedContext({ proxy: { port: cfg.fakePort }, pid: 0x4e99, log: logTo, retryMs: 5000 });
    const r = new Recorder();
    let rx = "";
    try {
      ctx.create<Recorder>({
        streamtype: "echo_raw",
        state(h, _s, state) { h.opaque.state(state); return state === LWSSSCS_CREATING ? h.requestTx() : LWSSSSRET_OK; },
        tx(_h, _o, buf, out) {
          for (let i = 0; i < 16; i++) buf[i] = 0x41 + i;
          out.len = 16;
          out.flags = LWSSS_FLAG_SOM | LWSSS_FLAG_EOM;
          return LWSSSSRET_OK;
        },
        rx(h, buf, len, flags) { h.opaque.received(buf, len, flags); rx = `${flags} ${hex(buf, 0, len)}`; return LWSSSSRET_DESTROY_ME; },
      }, r);
      const p = await fake.link(0);
      check(p !== undefined, "the client never connected");
      // lws_sspc_txp_tx, LPCSCLI_SENDING_INITIAL_TX: version 1, pid, initial credit 500000000, name without NUL
      check(await p!.until(20), `STREAMTYPE: ${p!.n} bytes`);
      equal(hex(p!.rx, 0, 20), "aa 00 11 01 00 00 4e 99 1d cd 65 00 65 63 68 6f 5f 72 61 77", "STREAMTYPE");
      p!.send(bytes("56 00 0e 00 00 00 00 00 2c 65 63 68 6f 5f 72 61 77")); // CREATE_RESULT ok, ",echo_raw"
      p!.send(bytes("57 00 05 01 00 00 00 00")); // CREATING
      // lws_sspc_txp_tx, LPCSCLI_LOCAL_CONNECTED with a tx request: ONWARD_CONNECT, empty
      check(await p!.until(23), `ONWARD_CONNECT: ${p!.n} bytes`);
      equal(hex(p!.rx, 20, 23), "ab 00 00", "ONWARD_CONNECT");
      p!.send(bytes("57 00 05 06 00 00 00 00 57 00 05 05 00 00 00 00")); // CONNECTING, CONNECTED
      // lws_sspc_txp_tx, LPCSCLI_OPERATIONAL: TX_PAYLOAD u32 flags SOM|EOM, u32 latency, u64 µs, payload
      check(await p!.until(23 + 35), `TX_PAYLOAD: ${p!.n} bytes`);
      equal(hex(p!.rx, 23, 30), "ad 00 20 00 00 00 03", "TX_PAYLOAD length and flags");
      equal(hex(p!.rx, 42, 58), "41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50", "TX_PAYLOAD payload at 19");
      // RX_PAYLOAD as lws' proxy writes it: flags 0, latency 0, a timestamp, the payload at offset 19
      p!.send(bytes("55 00 14 00 00 00 00 00 00 00 00 00 00 00 01 02 03 04 05 68 69 21 0a"));
      await r.until("DESTROYING", 3000);
      equal(rx, "0 68 69 21 0a", "rx flags and payload");
      equal(r.sequence(), "CREATING CONNECTING CONNECTED DISCONNECTED DESTROYING", "states");
      // destroy: lws' client sends no frame, it closes the link
      await sleep(100);
      check(p!.closed, "the link was not closed at destroy");
      equal(p!.n, 58, "bytes after TX_PAYLOAD (destroy sends nothing)");
    } finally {
      ctx.destroy();
      fake.close();
    }
  });

  // Our proxy, from a raw link that speaks peers.md's client bytes: what the proxy writes, byte for byte.
  await runAsync("golden-wire-proxy-lws_ssproxy_txp_proxy_can_write-CREATE_RESULT-CONNSTATE-RX_PAYLOAD", async () => {
    const conn = rawLink(proxy.port);
    try {
      check(await opened(conn), "no link to the proxy");
      conn.write(bytes("aa 00 11 01 00 00 4e 99 1d cd 65 00 65 63 68 6f 5f 72 61 77"));
      const b = new Uint8Array(256);
      // LPCSPROX_REPORTING_OK: result 0, u32 client buflen, "," + the type; then CONNSTATE CREATING (u8 + u32 ordinal)
      equal(await readN(conn, b, 25), 25, "CREATE_RESULT + CONNSTATE bytes");
      equal(hex(b, 0, 17), "56 00 0e 00 00 00 00 00 2c 65 63 68 6f 5f 72 61 77", "CREATE_RESULT");
      equal(hex(b, 17, 25), "57 00 05 01 00 00 00 00", "CONNSTATE CREATING");
      conn.write(bytes("ab 00 00"));
      equal(await readN(conn, b, 16, 5000), 16, "CONNECTING + CONNECTED bytes");
      equal(hex(b, 0, 16), "57 00 05 06 00 00 00 00 57 00 05 05 00 00 00 00", "CONNSTATE CONNECTING, CONNECTED");
      conn.write(bytes("ad 00 20 00 00 00 03 00 00 00 65 00 00 00 00 00 00 00 01 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50"));
      equal(await readN(conn, b, 35, 5000), 35, "RX_PAYLOAD bytes");
      // the proxy writes latency 0; the payload at offset 19 (the header comment says 17)
      equal(hex(b, 0, 11), "55 00 20 00 00 00 00 00 00 00 00", "RX_PAYLOAD length, flags 0, latency 0");
      equal(hex(b, 19, 35), "41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50", "RX_PAYLOAD payload at 19");
    } finally {
      conn.close();
    }
  });
}

async function main(): Promise<void> {
  golden();
  if (cfg.only === "serial") {
    trace("done\n");
    return;
  }
  const local = createContext({ policy, log: logTo });
  const proxy: Proxy = startProxy({ context: local, port: cfg.proxyPort, log: logTo, maxClients: 16 });
  const ctx = createProxiedContext({ proxy: { port: cfg.proxyPort }, log: logTo, retryMs: 200 });

  await wireGolden(proxy);

  await runAsync("proxied-raw-echo", () => rawEchoScenario(ctx, "proxied"));
  await runAsync("proxied-h1-get-with-metadata-both-ways", () => h1GetScenario(ctx, "proxied"));
  await runAsync("proxied-mqtt-publish-and-subscribe-as-local", () => mqttAsLocalScenario(ctx, local, "proxied"));

  await runAsync("many-streams-over-one-proxy", async () => {
    const accepted = proxy.stats.accepted;
    const rs: Recorder[] = [];
    for (let i = 0; i < 6; i++) rs.push(echoApp(ctx, "echo", 20000 + i * 1000));
    for (const r of rs) await r.until("DESTROYING", 20000);
    for (let i = 0; i < 6; i++) {
      equal(rs[i]!.rxBytes, 20000 + i * 1000, `stream ${i} bytes`);
      equal(rs[i]!.badByte, -1, `stream ${i} first wrong byte`);
      equal(rs[i]!.sequence(), "CREATING CONNECTING CONNECTED DISCONNECTED DESTROYING", `stream ${i} states`);
    }
    equal(proxy.stats.accepted - accepted, 6, "links (one per stream)");
  });

  await runAsync("unknown-streamtype-gets-the-lws-failure-frame", async () => {
    const conn = rawLink(proxy.port, 256);
    try {
      check(await opened(conn), "no link");
      const b = new Uint8Array(64);
      conn.write(b, 0, writeStreamType(b, 0, 1, 0, 500000000, "nosuch"));
      equal(await readN(conn, b, 8), 8, "bytes");
      equal(hex(b, 0, 8), "56 00 05 01 00 00 00 00", "failure frame");
      check(!(await closedByPeer(conn, 300)), "the v4.4.5 proxy keeps the link open after the failure frame");
    } finally {
      conn.close();
    }
  });

  await runAsync("open-context-chooses-by-configuration", async () => {
    const accepted = proxy.stats.accepted;
    const viaProxy = openContext({ proxy: { port: cfg.proxyPort }, log: logTo, retryMs: 200 });
    const direct = openContext({ policy, log: logTo });
    const a = echoApp(viaProxy, "echo", 7000);
    const b = echoApp(direct, "echo", 7000);
    await a.until("DESTROYING");
    await b.until("DESTROYING");
    equal(proxy.stats.accepted - accepted, 1, "links the proxy took (the proxied echo only)");
    equal(a.sequence(), b.sequence(), "the same app's states, proxied and local");
    equal(a.rxBytes, 7000, "proxied echo bytes");
    equal(a.badByte, -1, "proxied echo: first wrong byte");
    equal(b.rxBytes, 7000, "local echo bytes");
    equal(b.badByte, -1, "local echo: first wrong byte");
    const g1 = getApp(viaProxy), g2 = getApp(direct);
    await g1.r.until("DESTROYING");
    await g2.r.until("DESTROYING");
    equal(g1.r.sequence(), g2.r.sequence(), "the h1 app's states, proxied and local");
    equal(g1.r.rxSummary(), g2.r.rxSummary(), "h1 rx chunks and flags");
    equal(g1.ctype(), g2.ctype(), "h1 response metadata");
    equal(viaProxy.streams + direct.streams, 0, "streams left");
  });

  await runAsync("unix-socket-proxy-in-the-simulator", async () => {
    const ux = startProxy({ context: local, path: cfg.unixPath, log: logTo });
    const uctx = createProxiedContext({ proxy: { path: cfg.unixPath }, log: logTo, retryMs: 200 });
    try {
      check(ux.listening, "not listening on the unix socket");
      const r = echoApp(uctx, "echo", 9000);
      await r.until("DESTROYING");
      equal(r.rxBytes, 9000, "bytes echoed");
      equal(r.badByte, -1, "first wrong byte");
      equal(ux.stats.accepted, 1, "links over the unix socket");
    } finally {
      uctx.destroy();
      ux.close();
    }
  });

  await runAsync("listen-retries-with-a-bounded-backoff-while-the-port-is-taken", async () => {
    const from = log.length;
    const squatter = new Listener({ port: cfg.busyPort, address: "127.0.0.1" }) as Listener & { close(): void };
    const p = startProxy({ context: local, port: cfg.busyPort, log: logTo, listenRetryMs: 50, listenTries: 6 });
    check(!p.listening, "listening on a taken port");
    await sleep(200);
    squatter.close();
    for (let i = 0; i < 100 && !p.listening; i++) await sleep(20);
    check(p.listening, "still not listening after the port came free");
    check(logged(from, "EADDRINUSE") >= 1, "the refused listen was not logged");
    const c2 = createProxiedContext({ proxy: { port: cfg.busyPort }, log: logTo, retryMs: 200 });
    const r = echoApp(c2, "echo", 3000);
    await r.until("DESTROYING");
    equal(r.rxBytes, 3000, "echo through the late listener");
    p.close();
    const q = startProxy({ context: local, port: cfg.busyPort, log: logTo, listenRetryMs: 10, listenTries: 3 });
    const blocker = startProxy({ context: local, port: q.port, log: logTo, listenRetryMs: 10, listenTries: 3 });
    await sleep(300);
    check(!blocker.listening, "two listeners on one port");
    check(logged(from, "gave up after 3 attempts") === 1, "the bounded retry did not give up once");
    blocker.close();
    q.close();
  });

  await runAsync("proxy-restart-gives-disconnected-then-a-clean-reconnect", async () => {
    const p2port = cfg.proxyPort2;
    let p2: Proxy | undefined = startProxy({ context: local, port: p2port, log: logTo });
    const ctx2 = createProxiedContext({ proxy: { port: p2port }, log: logTo, retryMs: 200 });
    const { r, round } = twoRoundsApp(ctx2, () => { p2!.close(); p2 = undefined; });
    for (let i = 0; i < 100 && round() === 0; i++) await sleep(20);
    check(round() === 1, `the first 100 bytes never came back; states ${r.sequence()}`);
    p2 = startProxy({ context: local, port: p2port, log: logTo }); // at once: a busy port is retried, not fatal
    await r.until("DESTROYING");
    trace(`states restart: ${r.sequence()}\n`);
    equal(r.sequence(), "CREATING CONNECTING CONNECTED DISCONNECTED CONNECTING CONNECTED DISCONNECTED DESTROYING", "states");
    equal(r.rxBytes, 200, "bytes");
    equal(r.badByte, -1, "first wrong byte");
    p2.close();
  });

  await sleep(100);
  proxy.close();
  ctx.destroy();
  await sleep(100);
  trace(`streams left ${local.streams}\n`);
  trace("done\n");
}

main().catch((e) => trace(`not ok main ${String(e)}\ndone\n`));
