// Device side of bench/run.js's `telemetry qos1` line: one mqtt Secure Stream (the policy in mc/config, stream type
// "mq") publishing QoS 1 messages as fast as PUBACKs allow, with at most `window` unacknowledged at any time (a new
// requestTx() per QOS_ACK_REMOTE), so the Node side can compare it with mqtt.js at the same window. Called from
// cranks: open(), then go(n, window) for each run; traces "bench: connected", "bench: done <n>". For the outage
// figure, queue(n) takes n readings while the broker is down (traces "bench: disconnected" when it goes): the
// outbox keeps what fits and drops the oldest; the readings carry seq = 0, 1, ... in the order they were queued.
// openLocal() instead of open(): the same stream over an in-XS broker, for the device path's own compute.
import { createContext, LWSSSSRET_OK, LWSSSCS_CONNECTED, LWSSSCS_DISCONNECTED, LWSSSCS_QOS_ACK_REMOTE, LWSSS_FLAG_SOM, LWSSS_FLAG_EOM, type SecureStream } from "ss";
import { testPolicy } from "./support";
import { LocalBroker } from "../common/local-broker";

type Run = { n: number; window: number; sent: number; acked: number; seq: number };
const PAYLOAD = "{\"unit\":\"7\",\"seq\":000000,\"t\":21.97,\"h\":49.46,\"dropped\":0}"; // 57 bytes, seq patched in
// The payload's bytes, made once: each tx copies them and patches the six digits of seq (as an app with a fixed
// record layout would; mqtt.js is given the same text with the digits replaced).
const TEMPLATE = new Uint8Array(PAYLOAD.length);
for (let i = 0; i < PAYLOAD.length; i++) TEMPLATE[i] = PAYLOAD.charCodeAt(i);
let h: SecureStream<Run> | undefined;

export function open(): void {
  start(createContext({ policy: testPolicy(), log: () => {} }));
}

/** open(), over an in-XS broker (common/local-broker): CONNECTED comes within this crank's promise jobs. What a run
 * costs then is the device path's own XS compute (ss, mqtt, the app's callbacks), without the TLS socket's JS and
 * the simulator's bridge. */
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
