// Device-side cases for how Secure Streams fail, against real servers on 127.0.0.1 (test/ss-failures.test.js): a
// refused connection, an untrusted certificate, retries exhausted through the policy's backoff table (each wait
// measured), AUTH_FAILED retried, and the stream's own timeout. Reports "ok <name>" / "not ok <name> <why>", "done".
import {
  createContext, LWSSSSRET_OK, LWSSSSRET_DESTROY_ME, LWSSSCS_CREATING, LWSSSCS_ALL_RETRIES_FAILED, LWSSSCS_TIMEOUT,
  LWSSSCS_UNREACHABLE, LWSSSCS_AUTH_FAILED, LWSSS_TIMEOUT_FROM_POLICY,
} from "ss";
import { Recorder, runAsync, check, equal, testPolicy } from "./support";

const log: string[] = [];
const context = createContext({
  policy: testPolicy(),
  log: (line) => {
    log.push(line);
    trace(`${line}\n`);
  },
  random16: () => 0, // no jitter: each wait is exactly the table's step (jitterpc 1 would add at most 1%)
});

function logged(h: { tag: string }, text: string): boolean {
  return log.some((l) => l.startsWith(`ss: ${h.tag}: `) && l.includes(text));
}

/** Create `type`, ask for tx at CREATING, destroy at ALL_RETRIES_FAILED; resolves at DESTROYING. */
async function failing(type: string): Promise<{ r: Recorder; h: { tag: string } }> {
  const r = new Recorder();
  const h = context.create<Recorder>({
    streamtype: type,
    state(h, _src, state) {
      h.opaque.state(state);
      if (state === LWSSSCS_CREATING) return h.requestTx();
      if (state === LWSSSCS_ALL_RETRIES_FAILED) return LWSSSSRET_DESTROY_ME;
      return LWSSSSRET_OK;
    },
  }, r);
  await r.until("DESTROYING", 15000);
  return { r, h };
}

async function main(): Promise<void> {
  await runAsync("refused-connection-is-unreachable-then-all-retries-failed", async () => {
    const { r, h } = await failing("refused");
    trace(`states refused: ${r.sequence()}\n`);
    equal(r.sequence(), "CREATING POLL CONNECTING UNREACHABLE ALL_RETRIES_FAILED DESTROYING", "states");
    check(logged(h, "connect failed: TLS_CONNECT_FAILED"), "the TLS client's code is not in the log");
  });

  await runAsync("refused-plain-tcp-is-unreachable", async () => {
    const { r, h } = await failing("plain_refused");
    equal(r.sequence(), "CREATING POLL CONNECTING UNREACHABLE ALL_RETRIES_FAILED DESTROYING", "states");
    check(logged(h, "connect failed: TCP_CONNECT_FAILED"), "the TCP code is not in the log");
  });

  await runAsync("untrusted-certificate-is-auth-failed", async () => {
    const { r, h } = await failing("untrusted");
    trace(`states untrusted: ${r.sequence()}\n`);
    equal(r.sequence(), "CREATING POLL CONNECTING AUTH_FAILED ALL_RETRIES_FAILED DESTROYING", "states");
    check(logged(h, "certificate refused: TLS_CERT_UNTRUSTED"), "the certificate code is not in the log");
  });

  await runAsync("auth-failed-retried-without-poll-then-all-retries-failed", async () => {
    // lws' table has no AUTH_FAILED -> POLL: the retry goes straight to CONNECTING.
    const { r } = await failing("untrusted_retry");
    equal(r.sequence(), "CREATING POLL CONNECTING AUTH_FAILED CONNECTING AUTH_FAILED ALL_RETRIES_FAILED DESTROYING",
      "states");
  });

  await runAsync("retries-exhausted-after-the-backoff-table", async () => {
    // retry "three": backoff [100, 200, 400], conceal 3: three concealed retries, each after its step, then the
    // fourth failure is not concealed: ALL_RETRIES_FAILED.
    const { r, h } = await failing("retries");
    trace(`states retries: ${r.sequence()}\n`);
    equal(r.sequence(), "CREATING POLL CONNECTING UNREACHABLE POLL CONNECTING UNREACHABLE POLL CONNECTING UNREACHABLE " +
      "POLL CONNECTING UNREACHABLE ALL_RETRIES_FAILED DESTROYING", "states");
    const waits: number[] = [];
    for (let i = 0; i < r.states.length; i++) {
      if (r.states[i] === "UNREACHABLE" && r.states[i + 1] === "POLL") waits.push(r.times[i + 1]! - r.times[i]!);
    }
    trace(`retry waits ms: ${waits.join(" ")}\n`);
    equal(waits.length, 3, "backoff steps counted");
    const steps = [100, 200, 400];
    for (let i = 0; i < 3; i++) {
      check(waits[i]! >= steps[i]! - 5 && waits[i]! < steps[i]! + 400, `wait ${i + 1} was ${waits[i]} ms, the step is ${steps[i]}`);
    }
    for (let i = 1; i <= 3; i++) check(logged(h, `retry ${i} in ${steps[i - 1]} ms`), `retry ${i} not logged`);
    check(logged(h, "all retries failed (4 tries)"), "the end is not logged");
  });

  await runAsync("timeout-from-policy-while-waiting-for-a-response", async () => {
    // "slow": timeout_ms 300, a server that accepts and never answers. startTimeout(LWSSS_TIMEOUT_FROM_POLICY).
    const r = new Recorder();
    let started = 0;
    context.create<Recorder>({
      streamtype: "slow",
      state(h, _src, state) {
        h.opaque.state(state);
        if (state === LWSSSCS_CREATING) {
          started = Date.now();
          h.startTimeout(LWSSS_TIMEOUT_FROM_POLICY);
          return h.clientConnect();
        }
        if (state === LWSSSCS_TIMEOUT) return LWSSSSRET_DESTROY_ME;
        return LWSSSSRET_OK;
      },
    }, r);
    await r.until("DESTROYING");
    const elapsed = r.times[r.states.indexOf("TIMEOUT")]! - started;
    trace(`states slow: ${r.sequence()} (TIMEOUT after ${elapsed} ms)\n`);
    equal(r.sequence(), "CREATING CONNECTING TIMEOUT DESTROYING", "states");
    check(elapsed >= 295 && elapsed < 1500, `TIMEOUT after ${elapsed} ms, timeout_ms is 300`);
  });

  await runAsync("timeout-ok-then-disconnect-me-retries", async () => {
    // TIMEOUT answered OK changes nothing; a second one answered DISCONNECT_ME drops the connection, which (lws)
    // counts as a failed attempt: UNREACHABLE, and with no retries left ALL_RETRIES_FAILED.
    const r = new Recorder();
    let timeouts = 0;
    context.create<Recorder>({
      streamtype: "slow",
      state(h, _src, state) {
        h.opaque.state(state);
        if (state === LWSSSCS_CREATING) {
          h.startTimeout(100);
          return h.clientConnect();
        }
        if (state === LWSSSCS_TIMEOUT) {
          if (++timeouts === 1) {
            h.startTimeout(100);
            return LWSSSSRET_OK;
          }
          return -1; // LWSSSSRET_DISCONNECT_ME
        }
        if (state === LWSSSCS_ALL_RETRIES_FAILED) return LWSSSSRET_DESTROY_ME;
        return LWSSSSRET_OK;
      },
    }, r);
    await r.until("DESTROYING");
    equal(r.sequence(), "CREATING CONNECTING TIMEOUT TIMEOUT UNREACHABLE ALL_RETRIES_FAILED DESTROYING", "states");
  });

  await runAsync("cancel-timeout-stops-it", async () => {
    const r = new Recorder();
    const h = context.create<Recorder>({
      streamtype: "slow",
      state(h, _src, state) {
        h.opaque.state(state);
        return LWSSSSRET_OK;
      },
    }, r);
    h.startTimeout(50);
    h.cancelTimeout();
    h.startTimeout(0); // timeout_ms of the type: 300
    h.cancelTimeout();
    await new Promise<void>((resolve) => { void r.until("TIMEOUT", 500).then(resolve, () => resolve()); });
    h.destroy();
    equal(r.sequence(), "CREATING DESTROYING", "states");
  });

  await runAsync("unreachable-ack-argument-and-state-numbers", async () => {
    // the state callback gets lws' numbers: UNREACHABLE is 3, AUTH_FAILED 4; ack is 0 here
    const seen: string[] = [];
    const r = new Recorder();
    context.create<Recorder>({
      streamtype: "refused",
      state(h, _src, state, ack) {
        h.opaque.state(state);
        if (state === LWSSSCS_UNREACHABLE || state === LWSSSCS_AUTH_FAILED) seen.push(`${state}/${ack}`);
        if (state === LWSSSCS_CREATING) return h.clientConnect();
        if (state === LWSSSCS_ALL_RETRIES_FAILED) return LWSSSSRET_DESTROY_ME;
        return LWSSSSRET_OK;
      },
    }, r);
    await r.until("DESTROYING");
    equal(seen.join(","), "3/0", "UNREACHABLE as 3 with ack 0");
  });

  trace(`streams left ${context.streams}\n`);
  trace("done\n");
}

void main();
