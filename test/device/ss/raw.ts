// Device-side cases for raw Secure Streams over tls/client, against a TLS echo server (test/ss-raw.test.js starts it
// and gives the policy in mc/config). Reports "ok <name>" / "not ok <name> <why>" per case, then "done".
import config from "mc/config";
import {
  createContext, LWSSSSRET_OK, LWSSSSRET_DESTROY_ME, LWSSSSRET_DISCONNECT_ME, LWSSSCS_CREATING, LWSSSCS_CONNECTED,
  LWSSSCS_DISCONNECTED, LWS_SS_MTU, type TxOut,
} from "ss";
import { Recorder, Pattern, runAsync, check, equal, sleep, type Handle, testPolicy } from "./support";

const log: string[] = [];
const context = createContext({
  policy: testPolicy(),
  log: (line) => {
    log.push(line);
    trace(`${line}\n`);
  },
});

/** Echo `total` bytes of the pattern through stream type `type` in tx calls of at most LWS_SS_MTU. */
async function echo(type: string, total: number): Promise<{ r: Recorder; ords: number[]; lens: number[] }> {
  const r = new Recorder(new Pattern());
  const source = new Pattern();
  const ords: number[] = [], lens: number[] = [];
  let sent = 0;
  context.create<Recorder>({
    streamtype: type,
    state(h, _src, state) {
      h.opaque.state(state);
      if (state === LWSSSCS_CREATING) return h.requestTx();
      return LWSSSSRET_OK;
    },
    tx(h, ord, buf, out) {
      ords.push(ord);
      const n = Math.min(out.len, total - sent);
      source.fill(buf, n);
      sent += n;
      out.len = n;
      lens.push(n);
      if (sent < total) h.requestTx(); // lws: ask again from inside tx for the rest
      return LWSSSSRET_OK;
    },
    rx(h, buf, len, flags) {
      h.opaque.received(buf, len, flags);
      return h.opaque.rxBytes >= total ? LWSSSSRET_DESTROY_ME : LWSSSSRET_OK;
    },
  }, r);
  await r.until("DESTROYING");
  return { r, ords, lens };
}

async function main(): Promise<void> {
  await runAsync("raw-echo-state-sequence", async () => {
    const { r, ords, lens } = await echo("echo", 3000);
    trace(`states echo: ${r.sequence()}\n`);
    equal(r.sequence(), "CREATING POLL CONNECTING CONNECTED DISCONNECTED DESTROYING", "states");
    equal(r.rxBytes, 3000, "bytes echoed");
    equal(r.badByte, -1, "first wrong byte");
    check(r.rx.every((x) => x.endsWith("/-")), `raw rx flags are 0 as in lws, got ${r.rxSummary()}`);
    equal(ords.join(","), "0,1", "tx ordinals");
    equal(lens.join(","), `${LWS_SS_MTU},${3000 - LWS_SS_MTU}`, "tx lengths (at most LWS_SS_MTU each)");
  });

  await runAsync("raw-plain-tcp-echo-when-the-policy-says-tls-false", async () => {
    const { r, lens } = await echo("plain", 10000);
    trace(`states plain: ${r.sequence()}\n`);
    equal(r.sequence(), "CREATING POLL CONNECTING CONNECTED DISCONNECTED DESTROYING", "states");
    equal(r.rxBytes, 10000, "bytes echoed");
    equal(r.badByte, -1, "first wrong byte");
    equal(lens.length, Math.ceil(10000 / LWS_SS_MTU), "tx calls");
  });

  await runAsync("raw-echo-64k-through-mtu-tx", async () => {
    const { r, lens } = await echo("echo_ip", 65536);
    equal(r.rxBytes, 65536, "bytes echoed");
    equal(r.badByte, -1, "first wrong byte");
    equal(lens.length, Math.ceil(65536 / LWS_SS_MTU), "tx calls");
    equal(r.sequence(), "CREATING POLL CONNECTING CONNECTED DISCONNECTED DESTROYING", "states");
  });

  await runAsync("raw-nailed-up-connects-at-create", async () => {
    const r = new Recorder();
    const h = context.create<Recorder>({
      streamtype: "nailed",
      state(h, _src, state) {
        h.opaque.state(state);
        return LWSSSSRET_OK;
      },
    }, r);
    equal(r.sequence(), "CREATING CONNECTING", "states delivered inside create()");
    await r.until("CONNECTED");
    h.destroy();
    equal(r.sequence(), "CREATING CONNECTING CONNECTED DISCONNECTED DESTROYING", "states");
  });

  await runAsync("raw-tx-longer-than-mtu-is-refused-and-logged", async () => {
    const r = new Recorder();
    const h: Handle = context.create<Recorder>({
      streamtype: "echo_ip",
      state(h, _src, state) {
        h.opaque.state(state);
        if (state === LWSSSCS_CREATING) return h.requestTx();
        if (state === LWSSSCS_DISCONNECTED) return LWSSSSRET_DESTROY_ME;
        return LWSSSSRET_OK;
      },
      tx(_h, _ord, _buf, out: TxOut) {
        out.len = LWS_SS_MTU + 1;
        return LWSSSSRET_OK;
      },
    }, r);
    await r.until("DESTROYING");
    equal(r.sequence(), "CREATING POLL CONNECTING CONNECTED DISCONNECTED DESTROYING", "states");
    check(log.some((l) => l.includes(`tx callback gave len ${LWS_SS_MTU + 1}`)), "no log line for the bad length");
    check(h.destroyed, "not destroyed");
  });

  await runAsync("raw-disconnect-me-on-opportunistic-stays-disconnected", async () => {
    // DISCONNECT_ME from CONNECTED: the connection goes, the stream stays; an opportunistic type does not retry.
    const r = new Recorder();
    const h = context.create<Recorder>({
      streamtype: "echo_ip",
      state(h, _src, state) {
        h.opaque.state(state);
        if (state === LWSSSCS_CREATING) return h.clientConnect();
        if (state === LWSSSCS_CONNECTED) return LWSSSSRET_DISCONNECT_ME;
        return LWSSSSRET_OK;
      },
    }, r);
    await r.until("DISCONNECTED");
    await sleep(200);
    equal(r.sequence(), "CREATING CONNECTING CONNECTED DISCONNECTED", "states");
    h.destroy();
    equal(r.sequence(), "CREATING CONNECTING CONNECTED DISCONNECTED DESTROYING", "states after destroy");
  });

  await runAsync("raw-disconnect-me-retries-when-not-opportunistic", async () => {
    // lws: a connection that closes on a type that is not opportunistic and completed no transaction is retried
    // after the backoff (raw never completes one): DISCONNECTED, then POLL, CONNECTING, CONNECTED again.
    const r = new Recorder();
    let connections = 0;
    const h = context.create<Recorder>({
      streamtype: "echo",
      state(h, _src, state) {
        h.opaque.state(state);
        if (state === LWSSSCS_CREATING) return h.clientConnect();
        if (state === LWSSSCS_CONNECTED && ++connections === 1) return LWSSSSRET_DISCONNECT_ME;
        return LWSSSSRET_OK;
      },
    }, r);
    for (let i = 0; i < 200 && connections < 2; i++) await sleep(20);
    h.destroy();
    equal(r.sequence(), "CREATING CONNECTING CONNECTED DISCONNECTED POLL CONNECTING CONNECTED DISCONNECTED DESTROYING",
      "states");
    check(log.some((l) => l.includes(`${h.tag}: retry 1 in`)), "no retry logged");
  });

  await runAsync("raw-peer-close-delivers-every-byte-then-retries", async () => {
    // The server answers the first bytes with config.replySize bytes and closes: all of them reach rx before
    // DISCONNECTED, and the stream (not opportunistic) reconnects after its backoff.
    const size = config.replySize as number;
    const r = new Recorder(new Pattern());
    let connections = 0;
    const h = context.create<Recorder>({
      streamtype: "reply",
      state(h, _src, state) {
        h.opaque.state(state);
        if (state === LWSSSCS_CREATING) return h.requestTx();
        if (state === LWSSSCS_CONNECTED) connections++;
        return LWSSSSRET_OK;
      },
      tx(_h, _ord, buf, out) {
        buf[0] = 0x3f;
        out.len = 1;
        return LWSSSSRET_OK;
      },
      rx(h, buf, len, flags) {
        h.opaque.received(buf, len, flags);
        return LWSSSSRET_OK;
      },
    }, r);
    for (let i = 0; i < 200 && connections < 2; i++) await sleep(20);
    const beforeDestroy = r.rxBytes;
    h.destroy();
    equal(beforeDestroy, size, "bytes before the close");
    equal(r.badByte, -1, "first wrong byte");
    equal(r.sequence(), "CREATING POLL CONNECTING CONNECTED DISCONNECTED POLL CONNECTING CONNECTED DISCONNECTED DESTROYING",
      "states");
    check(log.some((l) => l.includes(`${h.tag}: connection lost: closed by the peer`)), "no log line for the close");
  });

  trace(`streams left ${context.streams}\n`);
  trace("done\n");
}

void main();
