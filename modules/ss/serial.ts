// Serialized Secure Streams: the frames a proxied client and the proxy exchange over their link (one link per
// client stream), byte-compatible with libwebsockets v4.4.5. Plain functions over byte views: no I/O, no
// allocation per frame (a decoder fills the caller's Frame object; an encoder writes into the caller's buffer and
// returns the end). Names are lws' (include/libwebsockets/lws-secure-streams-serialization.h); where the header's
// comments and the bytes lws puts on the wire differ, the bytes win (../shared/peers.md, "lws proxy"):
//
// Every frame:  [0] prefix  [1..2] rest-of-frame length, big-endian (the body after these 3 bytes)  [3..] body
//
// Proxy -> client (LWSSS_SER_RXPRE_*)
//   RX_PAYLOAD     0x55  [3] u32 flags  [7] u32 µs latency (lws' proxy writes 0)  [11] u64 µs CLOCK_MONOTONIC
//                        [19] payload                           (the header says 17: lws writes the payload at 19)
//   CREATE_RESULT  0x56  [3] u8 result, 0 = ok  [4] u32 client_buflen (from the policy)
//                        [8] ok: "," then the stream type name and its rideshare types, comma-separated; failure:
//                        nothing (`56 00 05 01 00 00 00 00`)    (the header says [8] u16 initial tx credit: no)
//   CONNSTATE      0x57  state < 256: [3] u8 state  [4] u32 ordinal (length 5); else [3] u32 state [7] u32 ordinal
//                        (length 8)
//   TXCR_UPDATE    0x58  [3] u32 additional tx credit (length 4)
//   METADATA       0x59  [3] u8 name length n  [4] name  [4+n] value, to the end of the frame
//   PERF           0x5b  [3] JSON to the end of the frame
// Client -> proxy (LWSSS_SER_TXPRE_*)
//   STREAMTYPE     0xaa  [3] u8 version (LWSSSS_VERSION)  [4] u32 client pid  [8] u32 initial tx credit
//                        [12] stream type name, no NUL, to the end of the frame (at least 1 byte)
//   ONWARD_CONNECT 0xab  empty (length 0)
//   DESTROYING     0xac  empty (length 0)
//   TX_PAYLOAD     0xad  [3] u32 flags  [7] u32 µs latency  [11] u64 µs timestamp  [19] payload
//   METADATA       0xae  [3] u8 name length n  [4] name  [4+n] value
//   TXCR_UPDATE    0xaf  [3] u32 additional tx credit (length 4)
//   TIMEOUT_UPDATE 0xb0  [3] u32 timeout ms: 0 = the policy's, 0xffffffff = cancel (length 4)
//   PAYLOAD_LENGTH_HINT 0xb1 [3] u32 payload length (length 4)
//
// Bounded: frameLength() refuses a frame longer than the reader's buffer ("a length beyond the buffer"), a prefix
// not of the reading direction, and a fixed-size body with the wrong length, before a byte of the body is needed;
// NEED_MORE (0) and a refusal (< 0, with a reason) are distinct.
import Time from "time";
import {
  LWSSS_SER_RXPRE_RX_PAYLOAD, LWSSS_SER_RXPRE_CREATE_RESULT, LWSSS_SER_RXPRE_CONNSTATE, LWSSS_SER_RXPRE_TXCR_UPDATE,
  LWSSS_SER_RXPRE_METADATA, LWSSS_SER_RXPRE_PERF, LWSSS_SER_TXPRE_STREAMTYPE, LWSSS_SER_TXPRE_ONWARD_CONNECT,
  LWSSS_SER_TXPRE_DESTROYING, LWSSS_SER_TXPRE_TX_PAYLOAD, LWSSS_SER_TXPRE_METADATA, LWSSS_SER_TXPRE_TXCR_UPDATE,
  LWSSS_SER_TXPRE_TIMEOUT_UPDATE, LWSSS_SER_TXPRE_PAYLOAD_LENGTH_HINT,
} from "ss/constants";

/** [prefix][u16 length]. */
export const HEADER = 3;
/** Where a RX_PAYLOAD / TX_PAYLOAD frame's payload starts (3 + flags 4 + latency 4 + timestamp 8). */
export const PAYLOAD_AT = 19;
/** The longest body a frame can say (u16). */
export const MAX_BODY = 0xffff;
/** TIMEOUT_UPDATE's value for lws_ss_cancel_timeout(). */
export const TIMEOUT_CANCEL = 0xffffffff;

export const NEED_MORE = 0;
export const BAD_PREFIX = -1;
export const BAD_LENGTH = -2;
export const TOO_LONG = -3;

/** Which side reads: the proxy reads client frames (TXPRE), the client reads proxy frames (RXPRE). */
export type Direction = "to-proxy" | "to-client";

/** What a refusal code means, for the log. */
export function describe(code: number, prefix = -1): string {
  const p = prefix >= 0 ? ` (prefix 0x${prefix.toString(16)})` : "";
  if (code === BAD_PREFIX) return `unknown prefix${p}`;
  if (code === BAD_LENGTH) return `a body length wrong for its frame${p}`;
  if (code === TOO_LONG) return `a length beyond the buffer${p}`;
  if (code === NEED_MORE) return "need more";
  return `frame of ${code} bytes`;
}

/**
 * The least and most body a prefix may have in `direction`, or undefined for a prefix the direction does not
 * carry. lws' deserializers (proxy-deserialize.c, sspc-deserialize.c) hang up on the same ones.
 */
function bodyRange(prefix: number, direction: Direction): readonly [number, number] | undefined {
  if (direction === "to-proxy") {
    switch (prefix) {
      case LWSSS_SER_TXPRE_STREAMTYPE: return [1 + 4 + 4 + 1, MAX_BODY];
      case LWSSS_SER_TXPRE_ONWARD_CONNECT:
      case LWSSS_SER_TXPRE_DESTROYING: return [0, 0];
      case LWSSS_SER_TXPRE_TX_PAYLOAD: return [PAYLOAD_AT - HEADER, MAX_BODY];
      case LWSSS_SER_TXPRE_METADATA: return [2, MAX_BODY];
      case LWSSS_SER_TXPRE_TXCR_UPDATE:
      case LWSSS_SER_TXPRE_TIMEOUT_UPDATE:
      case LWSSS_SER_TXPRE_PAYLOAD_LENGTH_HINT: return [4, 4];
      default: return undefined;
    }
  }
  switch (prefix) {
    case LWSSS_SER_RXPRE_RX_PAYLOAD: return [PAYLOAD_AT - HEADER, MAX_BODY];
    case LWSSS_SER_RXPRE_CREATE_RESULT: return [5, MAX_BODY];
    case LWSSS_SER_RXPRE_CONNSTATE: return [5, 8];
    case LWSSS_SER_RXPRE_TXCR_UPDATE: return [4, 4];
    case LWSSS_SER_RXPRE_METADATA: return [2, MAX_BODY];
    case LWSSS_SER_RXPRE_PERF: return [0, MAX_BODY];
    default: return undefined;
  }
}

/**
 * The whole length (header + body) of the frame starting at buf[at], given that buf[at, end) holds bytes read so
 * far and the reader keeps at most `capacity` bytes of one frame. NEED_MORE (0) when the frame is not complete
 * yet, a negative code (BAD_PREFIX, BAD_LENGTH, TOO_LONG) for a frame the reader must refuse: judged as soon as
 * the header is in (the prefix from its first byte).
 */
export function frameLength(buf: Uint8Array, at: number, end: number, direction: Direction, capacity: number): number {
  if (end <= at) return NEED_MORE;
  const range = bodyRange(buf[at]!, direction);
  if (!range) return BAD_PREFIX;
  if (end - at < HEADER) return NEED_MORE;
  const body = (buf[at + 1]! << 8) | buf[at + 2]!;
  if (body < range[0] || body > range[1]) return BAD_LENGTH;
  if (buf[at]! === LWSSS_SER_RXPRE_CONNSTATE && direction === "to-client" && body !== 5 && body !== 8) return BAD_LENGTH;
  if (HEADER + body > capacity) return TOO_LONG;
  if (end - at < HEADER + body) return NEED_MORE;
  return HEADER + body;
}

// ---- Integers ------------------------------------------------------------------------------------------------

export function u32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) >>> 0) + ((buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!);
}

export function putU32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = (value >>> 24) & 0xff;
  buf[at + 1] = (value >>> 16) & 0xff;
  buf[at + 2] = (value >>> 8) & 0xff;
  buf[at + 3] = value & 0xff;
}

/** A u64 as a number (exact below 2^53: µs timestamps for 285 years). */
export function u64(buf: Uint8Array, at: number): number {
  return u32(buf, at) * 0x100000000 + u32(buf, at + 4);
}

export function putU64(buf: Uint8Array, at: number, value: number): void {
  const v = value > 0 ? Math.floor(value) : 0;
  putU32(buf, at, Math.floor(v / 0x100000000) >>> 0);
  putU32(buf, at + 4, v >>> 0);
}

function header(buf: Uint8Array, at: number, prefix: number, body: number): void {
  buf[at] = prefix;
  buf[at + 1] = (body >> 8) & 0xff;
  buf[at + 2] = body & 0xff;
}

// ---- Strings: UTF-8, by hand (no TextEncoder on every XS build) ------------------------------------------------

/** Bytes `text` takes in UTF-8. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) { n += 4; i++; }
    else n += 3;
  }
  return n;
}

/** Write `text` as UTF-8 at buf[at]; the end. The caller checked the room (utf8Length). */
export function putUtf8(buf: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) buf[at++] = c;
    else if (c < 0x800) {
      buf[at++] = 0xc0 | (c >> 6);
      buf[at++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      c = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
      buf[at++] = 0xf0 | (c >> 18);
      buf[at++] = 0x80 | ((c >> 12) & 0x3f);
      buf[at++] = 0x80 | ((c >> 6) & 0x3f);
      buf[at++] = 0x80 | (c & 0x3f);
    } else {
      buf[at++] = 0xe0 | (c >> 12);
      buf[at++] = 0x80 | ((c >> 6) & 0x3f);
      buf[at++] = 0x80 | (c & 0x3f);
    }
  }
  return at;
}

/** buf[start, end) as UTF-8 (a malformed sequence becomes U+FFFD). */
export function utf8(buf: Uint8Array, start: number, end: number): string {
  let s = "";
  let i = start;
  while (i < end) {
    const b = buf[i++]!;
    let c = 0xfffd, more = 0;
    if (b < 0x80) { c = b; }
    else if ((b & 0xe0) === 0xc0) { c = b & 0x1f; more = 1; }
    else if ((b & 0xf0) === 0xe0) { c = b & 0x0f; more = 2; }
    else if ((b & 0xf8) === 0xf0) { c = b & 0x07; more = 3; }
    for (; more > 0; more--) {
      if (i >= end || (buf[i]! & 0xc0) !== 0x80) { c = 0xfffd; break; }
      c = (c << 6) | (buf[i++]! & 0x3f);
    }
    s += String.fromCodePoint(c > 0x10ffff ? 0xfffd : c);
  }
  return s;
}

// ---- Decoded frames ------------------------------------------------------------------------------------------

/**
 * One decoded frame (reused: decode() overwrites it). Which fields mean something depends on `prefix`:
 *   flags, latency, timestamp, payloadAt..payloadEnd     RX_PAYLOAD / TX_PAYLOAD
 *   result, buflen, name (the comma list, without the comma)     CREATE_RESULT
 *   state, ordinal                                       CONNSTATE
 *   value                                                TXCR_UPDATE (both), TIMEOUT_UPDATE, PAYLOAD_LENGTH_HINT
 *   name, value text                                     METADATA (both): name, and text = the value
 *   version, pid, value (the initial credit), name       STREAMTYPE
 */
export class Frame {
  prefix = 0;
  length = 0;
  flags = 0;
  latency = 0;
  timestamp = 0;
  payloadAt = 0;
  payloadEnd = 0;
  result = 0;
  buflen = 0;
  state = 0;
  ordinal = 0;
  value = 0;
  version = 0;
  pid = 0;
  name = "";
  text = "";
}

/**
 * Decode the complete frame buf[at, at + length) (length from frameLength()) into `f`. Strings are read; payloads
 * are left in place (f.payloadAt, f.payloadEnd index buf). Returns f.
 */
export function decode(buf: Uint8Array, at: number, length: number, f: Frame): Frame {
  const prefix = buf[at]!;
  const end = at + length;
  const b = at + HEADER;
  f.prefix = prefix;
  f.length = length;
  f.name = f.text = "";
  switch (prefix) {
    case LWSSS_SER_RXPRE_RX_PAYLOAD:
    case LWSSS_SER_TXPRE_TX_PAYLOAD:
      f.flags = u32(buf, b);
      f.latency = u32(buf, b + 4);
      f.timestamp = u64(buf, b + 8);
      f.payloadAt = at + PAYLOAD_AT;
      f.payloadEnd = end;
      break;
    case LWSSS_SER_RXPRE_CREATE_RESULT:
      f.result = buf[b]!;
      f.buflen = u32(buf, b + 1);
      f.name = end > b + 5 ? utf8(buf, buf[b + 5] === 0x2c ? b + 6 : b + 5, end) : "";
      break;
    case LWSSS_SER_RXPRE_CONNSTATE:
      if (length - HEADER === 5) {
        f.state = buf[b]!;
        f.ordinal = u32(buf, b + 1);
      } else {
        f.state = u32(buf, b);
        f.ordinal = u32(buf, b + 4);
      }
      break;
    case LWSSS_SER_RXPRE_TXCR_UPDATE:
    case LWSSS_SER_TXPRE_TXCR_UPDATE:
    case LWSSS_SER_TXPRE_TIMEOUT_UPDATE:
    case LWSSS_SER_TXPRE_PAYLOAD_LENGTH_HINT:
      f.value = u32(buf, b);
      break;
    case LWSSS_SER_RXPRE_METADATA:
    case LWSSS_SER_TXPRE_METADATA: {
      const n = buf[b]!;
      const v = b + 1 + n > end ? end : b + 1 + n;
      f.name = utf8(buf, b + 1, v);
      f.text = utf8(buf, v, end);
      f.payloadAt = v;
      f.payloadEnd = end;
      break;
    }
    case LWSSS_SER_TXPRE_STREAMTYPE:
      f.version = buf[b]!;
      f.pid = u32(buf, b + 1);
      f.value = u32(buf, b + 5);
      f.name = utf8(buf, b + 9, end);
      break;
    case LWSSS_SER_RXPRE_PERF:
      f.payloadAt = b;
      f.payloadEnd = end;
      break;
    default:
      break;
  }
  return f;
}

/** A METADATA frame's name length byte says more than the frame holds (lws hangs up on it). */
export function metadataNameFits(buf: Uint8Array, at: number, length: number): boolean {
  return 1 + buf[at + HEADER]! <= length - HEADER;
}

// ---- Encoders: each writes one frame at buf[at] and returns its end; -1 when it does not fit ---------------------

/** lws_sspc (sspc-transport.c, LPCSCLI_SENDING_INITIAL_TX): STREAMTYPE version, pid, initial tx credit, name. */
export function writeStreamType(buf: Uint8Array, at: number, version: number, pid: number, credit: number, name: string): number {
  const n = utf8Length(name);
  const body = 1 + 4 + 4 + n;
  if (n < 1 || body > MAX_BODY || at + HEADER + body > buf.length) return -1;
  header(buf, at, LWSSS_SER_TXPRE_STREAMTYPE, body);
  buf[at + 3] = version & 0xff;
  putU32(buf, at + 4, pid);
  putU32(buf, at + 8, credit);
  return putUtf8(buf, at + 12, name);
}

/** An empty frame: ONWARD_CONNECT or DESTROYING. */
export function writeEmpty(buf: Uint8Array, at: number, prefix: number): number {
  if (at + HEADER > buf.length) return -1;
  header(buf, at, prefix, 0);
  return at + HEADER;
}

/** A frame with one u32 body: TXCR_UPDATE (either way), TIMEOUT_UPDATE, PAYLOAD_LENGTH_HINT. */
export function writeU32(buf: Uint8Array, at: number, prefix: number, value: number): number {
  if (at + HEADER + 4 > buf.length) return -1;
  header(buf, at, prefix, 4);
  putU32(buf, at + 3, value >>> 0);
  return at + HEADER + 4;
}

/**
 * RX_PAYLOAD / TX_PAYLOAD's header for a payload of `len` bytes the caller has put (or will put) at
 * buf[at + PAYLOAD_AT]: flags, latency µs, timestamp µs. The end of the whole frame.
 */
export function writePayloadHeader(buf: Uint8Array, at: number, prefix: number, flags: number, latency: number,
  timestamp: number, len: number): number {
  const body = PAYLOAD_AT - HEADER + len;
  if (len < 0 || body > MAX_BODY || at + HEADER + body > buf.length) return -1;
  header(buf, at, prefix, body);
  putU32(buf, at + 3, flags >>> 0);
  putU32(buf, at + 7, latency >>> 0);
  putU64(buf, at + 11, timestamp);
  return at + HEADER + body;
}

/**
 * The same 19-byte header alone, at buf[at, at + PAYLOAD_AT), for a payload of `len` bytes the caller sends after
 * it from a buffer of its own (the proxy copies header and payload into its output ring separately). The end of
 * the header, or -1 when the header does not fit buf or the frame could not say `len`.
 */
export function writePayloadHead(buf: Uint8Array, at: number, prefix: number, flags: number, latency: number,
  timestamp: number, len: number): number {
  const body = PAYLOAD_AT - HEADER + len;
  if (len < 0 || body > MAX_BODY || at + PAYLOAD_AT > buf.length) return -1;
  header(buf, at, prefix, body);
  putU32(buf, at + 3, flags >>> 0);
  putU32(buf, at + 7, latency >>> 0);
  putU64(buf, at + 11, timestamp);
  return at + PAYLOAD_AT;
}

/**
 * lws_ssproxy_txp_proxy_can_write (proxy-transport.c, LPCSPROX_REPORTING_OK / _FAIL): CREATE_RESULT. ok: result 0,
 * buflen, then "," + each name of `names` joined by ","; failure: result 1, buflen 0, nothing after.
 */
export function writeCreateResult(buf: Uint8Array, at: number, result: number, buflen: number, names: string): number {
  const n = result === 0 && names.length > 0 ? 1 + utf8Length(names) : 0;
  const body = 1 + 4 + n;
  if (body > MAX_BODY || at + HEADER + body > buf.length) return -1;
  header(buf, at, LWSSS_SER_RXPRE_CREATE_RESULT, body);
  buf[at + 3] = result & 0xff;
  putU32(buf, at + 4, buflen);
  if (n === 0) return at + 8;
  buf[at + 8] = 0x2c;
  return putUtf8(buf, at + 9, names);
}

/** CONNSTATE: a u8 state (length 5) below 256, else a u32 one (length 8); then the u32 ordinal. */
export function writeConnState(buf: Uint8Array, at: number, state: number, ordinal: number): number {
  const wide = state >= 256;
  const body = wide ? 8 : 5;
  if (at + HEADER + body > buf.length) return -1;
  header(buf, at, LWSSS_SER_RXPRE_CONNSTATE, body);
  if (wide) putU32(buf, at + 3, state);
  else buf[at + 3] = state;
  putU32(buf, at + (wide ? 7 : 4), ordinal >>> 0);
  return at + HEADER + body;
}

/** METADATA (RXPRE or TXPRE): u8 name length, name, value. -1 also for a name over 255 bytes. */
export function writeMetadata(buf: Uint8Array, at: number, prefix: number, name: string, value: string): number {
  const n = utf8Length(name);
  const body = 1 + n + utf8Length(value);
  if (n > 255 || body > MAX_BODY || at + HEADER + body > buf.length) return -1;
  header(buf, at, prefix, body);
  buf[at + 3] = n;
  const v = putUtf8(buf, at + 4, name);
  return putUtf8(buf, v, value);
}

/**
 * The payload timestamps' clock, as lws' (CLOCK_MONOTONIC µs): Time.ticks, milliseconds that setting the clock
 * does not move, in µs. (lws' proxy takes a client's timestamp from its own clock for a transit time it keeps.)
 */
export function nowUs(): number {
  return Time.ticks * 1000;
}
