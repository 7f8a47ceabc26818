// Device side of bench/run.js's `telemetry qos1` line: one mqtt Secure Stream (the policy in mc/config, stream type
// "mq") publishing QoS 1 messages as fast as PUBACKs allow, with at most `window` unacknowledged at any time (a new
// requestTx() per QOS_ACK_REMOTE), so the Node side can compare it with mqtt.js at the same window. Called from
// cranks: open(), then go(n, window) for each run; traces "bench: connected", "bench: done <n>". For the outage
// figure, queue(n) takes n readings while the broker is down (traces "bench: disconnected" when it goes): the
// outbox keeps what fits and drops the oldest; the readings carry seq = 0, 1, ... in the order they were queued.
// openLocal() instead of open(): the same stream over an in-XS broker, for the device path's own compute.
import { createContext, LWSSSSRET_OK, LWSSSCS_CONNECTED, LWSSSCS_DISCONNECTED, LWSSSCS_QOS_ACK_REMOTE, LWSSS_FLAG_SOM, LWSSS_FLAG_EOM, type SecureStream } from "ss";
import { testPolicy } from "./support";
import type { Transport } from "ss/protocol";

type Run = { n: number; window: number; sent: number; acked: number; seq: number };
const PAYLOAD = "{\"unit\":\"7\",\"seq\":000000,\"t\":21.97,\"h\":49.46,\"dropped\":0}"; // 57 bytes, seq patched in
// The payload's bytes, made once: each tx copies them and patches the six digits of seq (as an app with a fixed
// record layout would; mqtt.js is given the same text with the digits replaced).
const TEMPLATE = new Uint8Array(PAYLOAD.length);
for (let i = 0; i < PAYLOAD.length; i++) TEMPLATE[i] = PAYLOAD.charCodeAt(i);
let h: SecureStream<Run> | undefined;

/**
 * The same stream over an in-XS broker instead of TLS to aedes (openLocal()): a Transport that answers CONNECT with
 * CONNACK and each QoS 1 PUBLISH with its PUBACK and takes every byte at once. What a run costs then is the device
 * path's own XS compute (ss, mqtt, the app's callbacks), without the TLS socket's JS and the simulator's bridge.
 */
class LocalBroker implements Transport {
  state: Transport["state"] = "open";
  error: Transport["error"] = undefined;
  readonly writable = 4096;
  #rx = new Uint8Array(4096);
  #have = 0;
  #wake: ((result: string) => void) | undefined;

  read(into: Uint8Array, offset = 0, length = into.byteLength - offset): number {
    const n = Math.min(this.#have, length);
    if (n === 0) return 0;
    into.set(this.#rx.subarray(0, n), offset);
    this.#rx.copyWithin(0, n, this.#have);
    this.#have -= n;
    return n;
  }

  /** Takes every byte. Whole packets only (the client writes whole packets to a connection that takes all); the
   * fixed header is read just far enough to answer, so the broker's share of a run stays small. */
  write(bytes: Uint8Array, offset = 0, length = bytes.byteLength - offset): number {
    const rx = this.#rx;
    let at = offset;
    const end = offset + length;
    while (at < end) {
      const type = bytes[at]! >> 4;
      let remaining = 0, shift = 0, i = at + 1;
      for (;;) {
        const b = bytes[i++]!;
        remaining += (b & 0x7f) << shift;
        if (b < 0x80) break;
        shift += 7;
      }
      if (type === 1) { // CONNECT: CONNACK, session new, accepted
        rx[this.#have] = 0x20; rx[this.#have + 1] = 2; rx[this.#have + 2] = 0; rx[this.#have + 3] = 0;
        this.#have += 4;
      } else if (type === 3 && (bytes[at]! & 0x06) === 0x02) { // QoS 1 PUBLISH: PUBACK its Packet Identifier
        const id = i + 2 + ((bytes[i]! << 8) | bytes[i + 1]!);
        rx[this.#have] = 0x40; rx[this.#have + 1] = 2; rx[this.#have + 2] = bytes[id]!; rx[this.#have + 3] = bytes[id + 1]!;
        this.#have += 4;
      }
      at = i + remaining;
    }
    if (this.#have > 0 && this.#wake) {
      const wake = this.#wake;
      this.#wake = undefined;
      wake("readable");
    }
    return length;
  }

  wait(_timeoutMs: number): Promise<string> {
    if (this.#have > 0 || this.state !== "open") return Promise.resolve(this.#have > 0 ? "readable" : "state");
    return new Promise((resolve) => { this.#wake = resolve; });
  }

  close(): void {
    this.state = "closed";
    this.#wake?.("state");
    this.#wake = undefined;
  }
}

export function open(): void {
  start(createContext({ policy: testPolicy(), log: () => {} }));
}

/** open(), over the in-XS broker (LocalBroker): CONNECTED comes within this crank's promise jobs. */
export function openLocal(): void {
  start(createContext({ policy: testPolicy(), log: () => {}, tls: () => new LocalBroker() }));
}

function start(context: ReturnType<typeof createContext>): void {
  h = context.create<Run>({
    streamtype: "mq",
    state(h, _src, state) {
      if (state === LWSSSCS_CONNECTED) trace("bench: connected\n");
      if (state === LWSSSCS_DISCONNECTED) trace("bench: disconnected\n");
      if (state === LWSSSCS_QOS_ACK_REMOTE) {
        const r = h.opaque;
        r.acked++;
        if (r.sent < r.n) {
          r.sent++;
          h.requestTx();
        } else if (r.acked === r.n) trace(`bench: done ${r.n}\n`);
      }
      return LWSSSSRET_OK;
    },
    tx(h, _ord, buf, out) {
      let seq = h.opaque.seq++;
      buf.set(TEMPLATE);
      for (let i = 23; i >= 18; i--, seq = (seq / 10) | 0) buf[i] = 48 + (seq % 10);
      out.len = TEMPLATE.length;
      out.flags = LWSSS_FLAG_SOM | LWSSS_FLAG_EOM;
      return LWSSSSRET_OK;
    },
  }, { n: 0, window: 0, sent: 0, acked: 0, seq: 0 });
}

export function go(n: number, window: number): void {
  const r = h!.opaque;
  r.n = n;
  r.window = window;
  r.acked = 0;
  r.seq = 0;
  r.sent = Math.min(window, n);
  for (let i = 0; i < r.sent; i++) h!.requestTx();
}

export function queue(n: number): void {
  const r = h!.opaque;
  r.n = -1; // no acknowledgement asks for more, none says done
  r.seq = 0;
  for (let i = 0; i < n; i++) h!.requestTx();
}

export function close(): void {
  h?.destroy();
  h = undefined;
}
