// tipi/protocol: the wire format of the TIPI TLS extension (raw extension 0x24, jedimatt42/tipi wiki page
// "Extension TLS"; reference implementation services/TlsSocket.py) and of the link that carries it. Constants,
// and plain encode/decode functions over byte views: no I/O, no allocation. The numbers are in tipi/wire.
//
// The link: every message, both directions, is one frame:
//
//   offset   0          1          2 ...
//          +----------+----------+---------------------------------+
//          | len msb  | len lsb  | message: len bytes              |   len: 16-bit big-endian, 0..65535
//          +----------+----------+---------------------------------+   (a device accepts len <= maxFrame)
//
// Requests (host -> device), the message of one frame:
//
//   open    +------+--------+------+-----+-----+- ... -+-----+-----+-----+-----+
//           | 0x24 | handle | 0x01 | 'h' | 'o' |  ...  | ':' | '4' | '4' | '3' |   "hostname:port" is the rest
//           +------+--------+------+-----+-----+- ... -+-----+-----+-----+-----+   of the message (no NUL)
//   close   +------+--------+------+
//           | 0x24 | handle | 0x02 |
//           +------+--------+------+
//   write   +------+--------+------+--------+- ... -+--------+
//           | 0x24 | handle | 0x03 | data 0 |  ...  | data n |                   n = len - 3, may be 0
//           +------+--------+------+--------+- ... -+--------+
//   read    +------+--------+------+----------+----------+
//           | 0x24 | handle | 0x04 | size msb | size lsb |                        at most size bytes back
//           +------+--------+------+----------+----------+
//
// Replies (device -> host), one per request, in request order:
//
//   open, close, write   +------+          GOOD (255): connected / closed / all bytes taken
//                        | 0xff |          BAD (0): failed, refused, or a bad request
//                        +------+
//   read                 +--------+- ... -+--------+
//                        | data 0 |  ...  | data k |   0 <= k <= size; empty: nothing buffered, or not open
//                        +--------+- ... -+--------+
//   any bad request      +------+          (unknown extension or command, truncated or over-long message,
//                        | 0x00 |           missing or bad port, hostname over the cap, frame over maxFrame)
//                        +------+

import {
  EXTENSION_TLS, OPEN, CLOSE, WRITE, READ, GOOD, BAD, FRAME_HEADER, FRAME_LENGTH_MAX, REQUEST_HEADER, READ_LENGTH,
  CLOSE_LENGTH, PORT_DIGITS_MAX,
} from "tipi/wire";

// The numbers live in tipi/wire (shared with the host); they are this module's vocabulary too.
export {
  EXTENSION_TLS, OPEN, CLOSE, WRITE, READ, GOOD, BAD, FRAME_HEADER, FRAME_LENGTH_MAX, REQUEST_HEADER, READ_LENGTH,
  CLOSE_LENGTH, PORT_DIGITS_MAX,
};

/** decodeFrame: fewer than 2 bytes held, or the message is not all there yet. */
export const NEED_MORE = -1;
/** decodeFrame: the header announces a message longer than the maximum (frameLength tells how long). */
export const TOO_LONG = -2;

/** decodeRequest results: OK, or why the request is bad (each answers BAD). */
export const OK = 0;
export const ERROR_EMPTY = 1;
export const ERROR_EXTENSION = 2;
export const ERROR_TRUNCATED = 3;
export const ERROR_TRAILING = 4;
export const ERROR_COMMAND = 5;
export const ERROR_NO_PORT = 6;
export const ERROR_PORT = 7;
export const ERROR_HOSTNAME_LENGTH = 8;
export const ERROR_HOSTNAME = 9;
export const ERROR_NOT_HELD = 10;

const ERROR_TEXT = Object.freeze([
  "ok",
  "empty message",
  "unknown extension",
  "truncated message",
  "bytes after the end of the request",
  "unknown command",
  "open without a port (want \"hostname:port\")",
  "port is not a number from 1 to 65535",
  "hostname longer than the cap",
  "hostname empty or not printable ASCII",
  "request not held completely (decoder misuse)",
]);

/** A line of text for a decodeRequest result. */
export function describe(status: number): string {
  if (status === TOO_LONG) return "frame longer than maxFrame";
  if (status === NEED_MORE) return "need more bytes";
  return ERROR_TEXT[status] ?? "unknown error " + status;
}

/** One decoded request; the device keeps one and reuses it (no allocation per frame). */
export class Request {
  extension = 0;
  handle = 0;
  command = 0;
  /** open: where the hostname starts in the message and how long it is; port 1-65535. */
  hostOffset = 0;
  hostLength = 0;
  port = 0;
  /** read: the most bytes the host wants back. */
  size = 0;
  /** write: where the data starts in the message and how many bytes it has. */
  dataOffset = 0;
  dataLength = 0;
}

/**
 * Looks at the frame whose header starts at bytes[offset], with `held` bytes of the stream held from there.
 * Returns the message length when the whole message is held, NEED_MORE when it is not (or not even the header
 * is), TOO_LONG when the header announces more than maxFrame bytes (the frame is bad whatever follows).
 */
export function decodeFrame(bytes: Uint8Array, offset: number, held: number, maxFrame: number): number {
  if (held < FRAME_HEADER) return NEED_MORE;
  const length = (bytes[offset]! << 8) | bytes[offset + 1]!;
  if (length > maxFrame) return TOO_LONG;
  if (held < FRAME_HEADER + length) return NEED_MORE;
  return length;
}

/** The length a frame header announces (2 bytes at bytes[offset] must be held). */
export function frameLength(bytes: Uint8Array, offset = 0): number {
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

/** Writes a frame header for a message of `length` bytes at into[offset]; returns 2. */
export function encodeFrameHeader(into: Uint8Array, offset: number, length: number): number {
  if ((length >>> 0) !== length || length > FRAME_LENGTH_MAX) throw new RangeError("tipi: frame length " + length);
  into[offset] = length >>> 8;
  into[offset + 1] = length & 0xff;
  return FRAME_HEADER;
}

/** Writes a whole one-byte reply frame (GOOD or BAD) at into[offset]; returns 3. */
export function encodeStatus(into: Uint8Array, offset: number, good: boolean): number {
  into[offset] = 0;
  into[offset + 1] = 1;
  into[offset + 2] = good ? GOOD : BAD;
  return 3;
}

/** Writes a whole read request frame at into[offset]; returns 7. */
export function encodeRead(into: Uint8Array, offset: number, handle: number, size: number): number {
  encodeFrameHeader(into, offset, READ_LENGTH);
  into[offset + 2] = EXTENSION_TLS;
  into[offset + 3] = handle & 0xff;
  into[offset + 4] = READ;
  into[offset + 5] = (size >>> 8) & 0xff;
  into[offset + 6] = size & 0xff;
  return FRAME_HEADER + READ_LENGTH;
}

/**
 * Writes the frame header and the 3 request bytes of a message of `3 + argumentsLength` bytes (open, close or
 * write); the caller puts the arguments after them. Returns 5.
 */
export function encodeRequestHeader(into: Uint8Array, offset: number, handle: number, command: number,
  argumentsLength: number): number {
  encodeFrameHeader(into, offset, REQUEST_HEADER + argumentsLength);
  into[offset + 2] = EXTENSION_TLS;
  into[offset + 3] = handle & 0xff;
  into[offset + 4] = command;
  return FRAME_HEADER + REQUEST_HEADER;
}

/** Bytes that show whether a stream starts with a TIPI request: a frame header and the three request bytes. */
export const REQUEST_START = FRAME_HEADER + REQUEST_HEADER;

/**
 * Whether a byte stream starts with a TIPI request, judged from its first `held` bytes: NEED_MORE until
 * REQUEST_START bytes are held; TOO_LONG when the frame header announces more than maxFrame; ERROR_TRUNCATED when
 * it announces fewer than 3; ERROR_EXTENSION, ERROR_COMMAND when the message does not start with 0x24, a handle
 * and one of the four commands; OK otherwise. (tipi/tcp-link lets a second host take the link over only then:
 * a TLS ClientHello, 16 03 01 ..., is no request.)
 */
export function checkRequestStart(bytes: Uint8Array, held: number, maxFrame: number): number {
  if (held < REQUEST_START) return NEED_MORE;
  const length = (bytes[0]! << 8) | bytes[1]!;
  if (length > maxFrame) return TOO_LONG;
  if (length < REQUEST_HEADER) return ERROR_TRUNCATED;
  if (bytes[2] !== EXTENSION_TLS) return ERROR_EXTENSION;
  const command = bytes[4]!;
  return command === OPEN || command === CLOSE || command === WRITE || command === READ ? OK : ERROR_COMMAND;
}

/**
 * Decodes one request message. `message` holds its first `held` bytes; `length` is the whole message length from
 * the frame header (held <= length). A write needs only its first 3 bytes held (the data stays where it is and
 * is described by dataOffset/dataLength); open, close and read must be held whole, up to
 * 3 + maxHostname + 1 + 5 bytes for an open (an open longer than that is over the hostname cap whatever it holds).
 * Fills `out` and returns OK, or an ERROR_* code (describe() words it). Never reads past `held`.
 */
export function decodeRequest(message: Uint8Array, held: number, length: number, out: Request,
  maxHostname: number): number {
  out.hostOffset = out.hostLength = out.port = out.size = out.dataOffset = out.dataLength = 0;
  if (held > length || held > message.byteLength) return ERROR_NOT_HELD;
  if (length === 0) return ERROR_EMPTY;
  out.extension = message[0]!;
  if (out.extension !== EXTENSION_TLS) return ERROR_EXTENSION;
  if (length < REQUEST_HEADER) return ERROR_TRUNCATED;
  if (held < REQUEST_HEADER) return ERROR_NOT_HELD;
  out.handle = message[1]!;
  const command = (out.command = message[2]!);
  if (command === WRITE) {
    out.dataOffset = REQUEST_HEADER;
    out.dataLength = length - REQUEST_HEADER;
    return OK;
  }
  if (command === CLOSE) return length === CLOSE_LENGTH ? OK : ERROR_TRAILING;
  if (command === READ) {
    if (length < READ_LENGTH) return ERROR_TRUNCATED;
    if (length > READ_LENGTH) return ERROR_TRAILING;
    if (held < READ_LENGTH) return ERROR_NOT_HELD;
    out.size = (message[3]! << 8) | message[4]!;
    return OK;
  }
  if (command !== OPEN) return ERROR_COMMAND;
  return decodeOpen(message, held, length, out, maxHostname);
}

function decodeOpen(message: Uint8Array, held: number, length: number, out: Request, maxHostname: number): number {
  if (length === REQUEST_HEADER) return ERROR_TRUNCATED;
  if (length > REQUEST_HEADER + maxHostname + 1 + PORT_DIGITS_MAX) {
    // Longer than a hostname at the cap plus ":65535": the hostname is over the cap (or the port is not a port).
    return ERROR_HOSTNAME_LENGTH;
  }
  if (held < length) return ERROR_NOT_HELD;
  let colon = -1;
  for (let i = length - 1; i >= REQUEST_HEADER; i--) {
    if (message[i] === 0x3a) {
      colon = i;
      break;
    }
  }
  if (colon < 0 || colon === length - 1) return ERROR_NO_PORT;
  const hostLength = colon - REQUEST_HEADER;
  if (hostLength > maxHostname) return ERROR_HOSTNAME_LENGTH;
  if (hostLength === 0) return ERROR_HOSTNAME;
  for (let i = REQUEST_HEADER; i < colon; i++) {
    const c = message[i]!;
    if (c <= 0x20 || c >= 0x7f) return ERROR_HOSTNAME;
  }
  const digits = length - colon - 1;
  if (digits > PORT_DIGITS_MAX) return ERROR_PORT;
  let port = 0;
  for (let i = colon + 1; i < length; i++) {
    const c = message[i]!;
    if (c < 0x30 || c > 0x39) return ERROR_PORT;
    port = port * 10 + (c - 0x30);
  }
  if (port < 1 || port > 65535) return ERROR_PORT;
  out.hostOffset = REQUEST_HEADER;
  out.hostLength = hostLength;
  out.port = port;
  return OK;
}
