// Secure Streams under load, for heap figures (test/ss-heap.test.js drives it crank by crank and reads XS's meter
// after gc between runs): many h1 GETs on one stream, many streams made and destroyed, many raw echoes on one
// stream. Each run counts what completed and what went wrong; nothing here keeps anything per request.
import {
  createContext, LWSSSSRET_OK, LWSSSSRET_DESTROY_ME, LWSSSCS_CREATING, LWSSSCS_QOS_ACK_REMOTE, LWSSSCS_DISCONNECTED,
  LWSSSCS_DESTROYING, LWSSS_FLAG_EOM, type Context,
} from "ss";
import { testPolicy } from "./support";

let context: Context | undefined;
let completed = 0, failed = 0, bytes = 0;

function ctx(): Context {
  context ??= createContext({
    maxStreams: 16,
    policy: testPolicy(),
    log: (line) => {
      if (line.indexOf("names Host") < 0) trace(`${line}\n`);
    },
  });
  return context;
}

/** The counts since the last call: completed transactions, unexpected log lines or states, body bytes. */
export function counts(): { completed: number; failed: number; bytes: number; streams: number } {
  const out = { completed, failed, bytes, streams: ctx().streams };
  completed = failed = bytes = 0;
  return out;
}

/** No load: what the measuring cranks themselves add to the heap. */
export function noop(): void {}

const held: { destroy(): void }[] = [];

/** `n` raw streams connected and kept open (for the heap one open stream holds); release() destroys them. */
export function hold(n: number, connect = true): void {
  const one = (): void => {
    if (++completed === n) trace(`held ${n}\n`); // the Node side waits for this line (a crank would add slots)
  };
  for (let i = 0; i < n; i++) {
    held.push(ctx().create({
      streamtype: "echo_ip",
      state(h, _src, state) {
        if (state === LWSSSCS_CREATING) {
          if (connect) return h.clientConnect();
          one();
        }
        if (state === 5 /* CONNECTED */) one();
        return LWSSSSRET_OK;
      },
    }, null));
  }
}

export function release(): void {
  while (held.length > 0) held.pop()!.destroy();
}

/** `n` GETs one after another on one stream (requestTx at each DISCONNECTED), then destroy. */
export function gets(n: number): void {
  let left = n;
  ctx().create({
    streamtype: "get",
    state(h, _src, state) {
      switch (state) {
        case LWSSSCS_CREATING:
          h.setMetadata("unit", "7");
          h.setMetadata("xunit", "seven");
          return h.clientConnect();
        case LWSSSCS_QOS_ACK_REMOTE:
          completed++;
          left--;
          return LWSSSSRET_OK;
        case LWSSSCS_DISCONNECTED:
          return left > 0 ? h.requestTx() : LWSSSSRET_DESTROY_ME;
        case 11 /* QOS_NACK_REMOTE */: case 3 /* UNREACHABLE */: case 9 /* ALL_RETRIES_FAILED */:
          failed++;
          return LWSSSSRET_DESTROY_ME;
      }
      return LWSSSSRET_OK;
    },
    rx(_h, _buf, len) {
      bytes += len;
      return LWSSSSRET_OK;
    },
  }, null);
}

/** `n` streams one after another, each one GET and destroyed at its DISCONNECTED. */
export function streams(n: number): void {
  const next = (left: number): void => {
    if (left === 0) return;
    ctx().create({
      streamtype: "get",
      state(h, _src, state) {
        switch (state) {
          case LWSSSCS_CREATING:
            h.setMetadata("unit", "7");
            h.setMetadata("xunit", "seven");
            return h.clientConnect();
          case LWSSSCS_QOS_ACK_REMOTE:
            completed++;
            return LWSSSSRET_OK;
          case LWSSSCS_DISCONNECTED:
            return LWSSSSRET_DESTROY_ME;
          case LWSSSCS_DESTROYING:
            Promise.resolve().then(() => next(left - 1));
            return LWSSSSRET_OK;
          case 11: case 3: case 9:
            failed++;
            return LWSSSSRET_DESTROY_ME;
        }
        return LWSSSSRET_OK;
      },
      rx(_h, _buf, len) {
        bytes += len;
        return LWSSSSRET_OK;
      },
    }, null);
  };
  next(n);
}

/** `n` messages of `size` bytes echoed on one raw stream, one tx per requestTx, then destroy. */
export function echoes(n: number, size: number): void {
  let sent = 0, received = 0;
  const total = n * size;
  ctx().create({
    streamtype: "echo_ip",
    state(h, _src, state) {
      if (state === LWSSSCS_CREATING) return h.requestTx();
      if (state === 3 || state === 9) {
        failed++;
        return LWSSSSRET_DESTROY_ME;
      }
      return LWSSSSRET_OK;
    },
    tx(_h, _ord, buf, out) {
      for (let i = 0; i < size; i++) buf[i] = (sent + i) & 0xff;
      out.len = size;
      out.flags = LWSSS_FLAG_EOM;
      sent += size;
      return LWSSSSRET_OK;
    },
    rx(h, buf, len) {
      for (let i = 0; i < len; i++) if (buf[i] !== ((received + i) & 0xff)) failed++;
      received += len;
      bytes += len;
      // one message in flight: the next tx when this one is back
      if (received % size === 0 && received < total) {
        completed++;
        h.requestTx();
      }
      if (received >= total) {
        completed++;
        return LWSSSSRET_DESTROY_ME;
      }
      return LWSSSSRET_OK;
    },
  }, null);
}
