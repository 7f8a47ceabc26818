// ministream/protocol: the I2P ministreaming wire format (the seed's protocol text, also I2P's
// apps/ministreaming/doc/protocol.txt) and the framing this module puts around each message on a byte stream.
// Constants carry the seed's names; encode and decode are plain functions over byte views, with no I/O and no
// allocation: a decoder fills a caller's reusable object and answers FRAME_NEED_MORE ("not all of it is here yet")
// distinctly from FRAME_BAD ("this can never be a message"), and never trusts a length before checking it.
//
// The seed's message is `1 byte type, 3 byte id, payload` with no length: I2P carried each one in an I2P datagram,
// whose boundary ended it. A byte stream (TCP, a UART, a relay link) has no boundaries, so every message travels
// behind a 2-byte big-endian LENGTH counting type + id + payload. Why 2 bytes: a message is bounded by the rings
// that hold it (a data message never exceeds the receiver's window, a few KiB), so 64 KiB - 1 is ample; it is the
// framing the rest of this firmware already speaks (FrameRing records, the TIPI link, the Tox TCP relay whose links
// these tunnels run over), and a fixed-size prefix lets a reader skip a message it refuses without parsing it, so
// the link stays in step after any bad message. The seed's bytes follow the length unchanged.
//
//   byte   0        1        2        3        4        5        6 ...                 2 + LENGTH - 1
//        +--------+--------+--------+--------+--------+--------+-------------------------+
//        | LENGTH (u16 BE) |  type  |  id (3 bytes, big-endian) |  payload                |
//        | = 4 + payload   |        |  never 00 00 00           |  LENGTH - 4 bytes       |
//        +--------+--------+--------+--------+--------+--------+-------------------------+
//
//   type  name               direction  id         payload                                  (I2P's source name)
//   A0    C2S_SEND_DATA      C -> S     server id  the data to send                         DATA_IN
//   A1    C2S_SYN            C -> S     client id  the public key created by the client     SYN
//   A2    C2S_CLOSE          C -> S     server id  nothing                                  CLOSE_IN
//   A3    C2S_WINDOW         C -> S     server id  u32 BE: bytes the server may send more   (ours)
//   50    S2C_SEND_DATA      S -> C     client id  the data to send                         DATA_OUT
//   51    S2C_ACK            S -> C     client id  the server id (3 bytes, not 00 00 00)    ACK
//   52    S2C_CLOSE          S -> C     client id  nothing                                  CLOSE_OUT
//   53    S2C_WINDOW         S -> C     client id  u32 BE: bytes the client may send more   (ours)
//   FF    CHAFF              either     none       none: LENGTH is 1, the frame is 00 01 FF  CHAFF (a ping)
//
// The seed gives client-to-server messages the types A0-AF and server-to-client ones 50-5F; the two WINDOW types
// are this module's flow control, taken from those ranges (README, "Backpressure"). CHAFF is I2P's one-byte ping,
// which its manager ignores; it is the one message shorter than type + id.
//
// Samples (the seed's conversation b, framed):
//   C->S  00 LL A1 23 45 67 key...       SYN, client id 23 45 67
//   S->C  00 07 51 23 45 67 98 76 54     ACK, server id 98 76 54
//   S->C  00 LL 50 23 45 67 data...      data
//   C->S  00 04 A2 98 76 54              Close
// (The seed's conversation c ends with `51 11 11 11` for the server's close: a typo for 52, the Close type.)

/** Client -> server: send data (id: the server id). I2P: DATA_IN. */
export const C2S_SEND_DATA = 0xa0;
/** Client -> server: SYN (id: the client id; payload: the client's public key). I2P: SYN. */
export const C2S_SYN = 0xa1;
/** Client -> server: close (id: the server id; no payload). I2P: CLOSE_IN. */
export const C2S_CLOSE = 0xa2;
/** Client -> server: window, our flow control (id: the server id; payload: u32 BE increment). */
export const C2S_WINDOW = 0xa3;
/** Server -> client: send data (id: the client id). I2P: DATA_OUT. */
export const S2C_SEND_DATA = 0x50;
/** Server -> client: ACK (id: the client id; payload: the server id). I2P: ACK. */
export const S2C_ACK = 0x51;
/** Server -> client: close (id: the client id; no payload). I2P: CLOSE_OUT. */
export const S2C_CLOSE = 0x52;
/** Server -> client: window, our flow control (id: the client id; payload: u32 BE increment). */
export const S2C_WINDOW = 0x53;
/** I2P's one-byte ping, ignored by the receiver: no id, no payload. */
export const CHAFF = 0xff;

/** First and last type of the client -> server range, and of the server -> client range. */
export const C2S_FIRST = 0xa0;
export const C2S_LAST = 0xaf;
export const S2C_FIRST = 0x50;
export const S2C_LAST = 0x5f;

/** The id no connection may have. */
export const RESERVED_ID = 0x000000;
/** Largest 3-byte id. */
export const MAX_ID = 0xffffff;

/** Bytes of the LENGTH prefix. */
export const LENGTH_SIZE = 2;
/** Bytes of type + id, the smallest LENGTH of every message but CHAFF. */
export const MESSAGE_HEADER = 4;
/** LENGTH prefix + type + id: the bytes before a payload. */
export const FRAME_HEADER = LENGTH_SIZE + MESSAGE_HEADER;
/** Largest LENGTH. */
export const MAX_LENGTH = 0xffff;
/** Largest payload a frame can carry. */
export const MAX_PAYLOAD = MAX_LENGTH - MESSAGE_HEADER;
/** Payload of an ACK: the server id. */
export const ACK_PAYLOAD = 3;
/** Payload of a WINDOW: the increment. */
export const WINDOW_PAYLOAD = 4;
/** Bytes of the CHAFF frame (00 01 FF). */
export const CHAFF_FRAME = 3;

/**
 * The credit each end holds for a stream when it opens: how many data bytes it may send before the peer's first
 * WINDOW. Both ends know it, so no message announces it, and a receiver's ring for a stream is at least this big.
 */
export const INITIAL_WINDOW = 2048;
/** The most credit an end may hold for one stream; a WINDOW that would pass it is a protocol error. */
export const MAX_WINDOW = 1 << 24;

/** decodeHeader / decodeMessage: the bytes so far are a correct start; more must come. */
export const FRAME_NEED_MORE = -1;
/** decodeHeader / decodeMessage: LENGTH describes no message; skip `frame` bytes (set in the result) and go on. */
export const FRAME_BAD = -2;

/** What decodeHeader fills in. */
export type Header = {
  /** LENGTH: type + id + payload. */
  length: number;
  /** Bytes of the whole frame: LENGTH_SIZE + length. Set for FRAME_BAD too, so a reader can skip it. */
  frame: number;
  type: number;
  /** 0 for CHAFF. */
  id: number;
  /** length - 4 (0 for CHAFF). */
  payload: number;
  /** Why a frame is bad (empty when it is not). */
  reason: string;
};

/** What decodeMessage fills in: the header plus where the payload lies in the decoded view. */
export type Message = Header & { payloadOffset: number };

export function newHeader(): Header {
  return { length: 0, frame: 0, type: 0, id: 0, payload: 0, reason: "" };
}

export function newMessage(): Message {
  return { length: 0, frame: 0, type: 0, id: 0, payload: 0, reason: "", payloadOffset: 0 };
}

export function isClientToServer(type: number): boolean {
  return type >= C2S_FIRST && type <= C2S_LAST;
}

export function isServerToClient(type: number): boolean {
  return type >= S2C_FIRST && type <= S2C_LAST;
}

export function isValidId(id: number): boolean {
  return id > RESERVED_ID && id <= MAX_ID && (id | 0) === id;
}

/** The seed's name of a type, for logs. */
export function typeName(type: number): string {
  switch (type) {
    case C2S_SEND_DATA: return "C2S_SEND_DATA";
    case C2S_SYN: return "C2S_SYN";
    case C2S_CLOSE: return "C2S_CLOSE";
    case C2S_WINDOW: return "C2S_WINDOW";
    case S2C_SEND_DATA: return "S2C_SEND_DATA";
    case S2C_ACK: return "S2C_ACK";
    case S2C_CLOSE: return "S2C_CLOSE";
    case S2C_WINDOW: return "S2C_WINDOW";
    case CHAFF: return "CHAFF";
    default: return "type " + hexByte(type);
  }
}

/** "12 34 56" for logs. */
export function idText(id: number): string {
  return hexByte(id >>> 16) + " " + hexByte((id >>> 8) & 0xff) + " " + hexByte(id & 0xff);
}

function hexByte(b: number): string {
  return (b < 16 ? "0" : "") + b.toString(16);
}

/** The 3-byte big-endian id at bytes[at]. */
export function readId(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!;
}

function writeId(bytes: Uint8Array, at: number, id: number): void {
  bytes[at] = id >>> 16;
  bytes[at + 1] = (id >>> 8) & 0xff;
  bytes[at + 2] = id & 0xff;
}

/**
 * Decodes the start of a frame from bytes[offset, offset + available): the LENGTH, and for a message its type and
 * id (the first FRAME_HEADER bytes; CHAFF_FRAME for CHAFF). Returns the header's size (FRAME_HEADER, or CHAFF_FRAME)
 * with `into` filled, FRAME_NEED_MORE when fewer bytes than that are there, or FRAME_BAD when LENGTH is 0, 2 or 3,
 * or 1 with a type other than CHAFF (a truncated message: it cannot hold a type and an id). For FRAME_BAD,
 * into.frame is the frame's size, so the reader skips it and stays in step. The payload is not looked at.
 */
export function decodeHeader(bytes: Uint8Array, offset: number, available: number, into: Header): number {
  if (available < LENGTH_SIZE) return FRAME_NEED_MORE;
  const length = (bytes[offset]! << 8) | bytes[offset + 1]!;
  into.length = length;
  into.frame = LENGTH_SIZE + length;
  into.type = 0;
  into.id = 0;
  into.payload = 0;
  into.reason = "";
  if (length === 0) {
    into.reason = "LENGTH 0: an empty message";
    return FRAME_BAD;
  }
  if (length < MESSAGE_HEADER) {
    if (available < LENGTH_SIZE + 1) return FRAME_NEED_MORE;
    const type = bytes[offset + 2]!;
    into.type = type;
    if (length === 1 && type === CHAFF) return CHAFF_FRAME;
    into.reason = "truncated message: LENGTH " + length + " cannot hold a type and a 3-byte id";
    return FRAME_BAD;
  }
  if (available < FRAME_HEADER) return FRAME_NEED_MORE;
  into.type = bytes[offset + 2]!;
  into.id = readId(bytes, offset + 3);
  into.payload = length - MESSAGE_HEADER;
  return FRAME_HEADER;
}

/**
 * Decodes one whole frame from bytes[offset, offset + available). Returns the frame's size with `into` filled
 * (the payload is bytes[into.payloadOffset, + into.payload), not copied), FRAME_NEED_MORE when the frame is not
 * all there, or FRAME_BAD (as decodeHeader, into.frame set). Checks only the framing: whether the type, id and
 * payload make sense is checkMessage's job.
 */
export function decodeMessage(bytes: Uint8Array, offset: number, available: number, into: Message): number {
  const header = decodeHeader(bytes, offset, available, into);
  if (header < 0) return header;
  if (available < into.frame) return FRAME_NEED_MORE;
  into.payloadOffset = offset + header;
  return into.frame;
}

/**
 * Whether a decoded message is one this protocol allows: "" when it is, otherwise why not. Checks that the type is
 * known, the reserved id, and each type's payload size (SYN: 1..maxKey bytes, ACK: 3, WINDOW: 4, CLOSE: none).
 * Data may be empty (nothing to deliver). Says nothing about whether the id names a live stream.
 */
export function checkMessage(type: number, id: number, payload: number, maxKey: number): string {
  if (type === CHAFF) return payload === 0 ? "" : "CHAFF with a payload";
  if (!isClientToServer(type) && !isServerToClient(type)) return "unknown " + typeName(type) + " (neither 0xA0-0xAF nor 0x50-0x5F)";
  if (id === RESERVED_ID) return typeName(type) + " with the reserved id 00 00 00";
  switch (type) {
    case C2S_SEND_DATA:
    case S2C_SEND_DATA:
      return "";
    case C2S_SYN:
      if (payload === 0) return "C2S_SYN without a public key";
      if (payload > maxKey) return "C2S_SYN with a " + payload + "-byte key (at most " + maxKey + ")";
      return "";
    case S2C_ACK:
      return payload === ACK_PAYLOAD ? "" : "S2C_ACK with a " + payload + "-byte payload (a server id is 3)";
    case C2S_CLOSE:
    case S2C_CLOSE:
      return payload === 0 ? "" : typeName(type) + " with a " + payload + "-byte payload (it has none)";
    case C2S_WINDOW:
    case S2C_WINDOW:
      return payload === WINDOW_PAYLOAD ? "" : typeName(type) + " with a " + payload + "-byte payload (an increment is 4)";
    default:
      return "unknown " + typeName(type);
  }
}

/** The server id an ACK's payload carries (bytes[at, at + 3)); RESERVED_ID is the caller's to refuse. */
export function decodeAckPayload(bytes: Uint8Array, at: number): number {
  return readId(bytes, at);
}

/** The increment a WINDOW's payload carries (u32 BE at bytes[at]). */
export function decodeWindowPayload(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) >>> 0) + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
}

function idError(id: number): RangeError {
  return new RangeError("ministream: id " + String(id) + " is not a 3-byte id other than 00 00 00");
}

/**
 * Writes a frame header (LENGTH, type, id) for a payload of `payload` bytes at into[offset]; returns FRAME_HEADER.
 * The payload goes right after it. Throws RangeError for the reserved or an out-of-range id, a type outside both
 * ranges, a payload too long for LENGTH, or too little room.
 */
export function encodeHeader(into: Uint8Array, offset: number, type: number, id: number, payload: number): number {
  if (!isClientToServer(type) && !isServerToClient(type)) throw new RangeError("ministream: no such type " + String(type));
  if (!isValidId(id)) throw idError(id);
  if ((payload >>> 0) !== payload || payload > MAX_PAYLOAD) throw new RangeError("ministream: payload of " + String(payload) + " bytes");
  if ((offset >>> 0) !== offset || offset + FRAME_HEADER > into.byteLength) throw new RangeError("ministream: no room for a frame header");
  const length = MESSAGE_HEADER + payload;
  into[offset] = length >>> 8;
  into[offset + 1] = length & 0xff;
  into[offset + 2] = type;
  writeId(into, offset + 3, id);
  return FRAME_HEADER;
}

function room(into: Uint8Array, offset: number, size: number): void {
  if (offset + size > into.byteLength) throw new RangeError("ministream: a " + size + "-byte frame does not fit");
}

/** C2S_SYN: client id and key. Returns the frame's size. */
export function encodeSyn(into: Uint8Array, offset: number, clientId: number, key: Uint8Array): number {
  if (key.byteLength === 0) throw new RangeError("ministream: a SYN carries the client's public key");
  room(into, offset, FRAME_HEADER + key.byteLength);
  encodeHeader(into, offset, C2S_SYN, clientId, key.byteLength);
  into.set(key, offset + FRAME_HEADER);
  return FRAME_HEADER + key.byteLength;
}

/** S2C_ACK: client id, server id. Returns the frame's size (9). */
export function encodeAck(into: Uint8Array, offset: number, clientId: number, serverId: number): number {
  if (!isValidId(serverId)) throw idError(serverId);
  room(into, offset, FRAME_HEADER + ACK_PAYLOAD);
  encodeHeader(into, offset, S2C_ACK, clientId, ACK_PAYLOAD);
  writeId(into, offset + FRAME_HEADER, serverId);
  return FRAME_HEADER + ACK_PAYLOAD;
}

/** C2S_CLOSE (id: the server id) or S2C_CLOSE (id: the client id). Returns the frame's size (6). */
export function encodeClose(into: Uint8Array, offset: number, type: number, id: number): number {
  if (type !== C2S_CLOSE && type !== S2C_CLOSE) throw new RangeError("ministream: not a close type " + String(type));
  return encodeHeader(into, offset, type, id, 0);
}

/** C2S_WINDOW or S2C_WINDOW granting `increment` (1 .. MAX_WINDOW) more bytes. Returns the frame's size (10). */
export function encodeWindow(into: Uint8Array, offset: number, type: number, id: number, increment: number): number {
  if (type !== C2S_WINDOW && type !== S2C_WINDOW) throw new RangeError("ministream: not a window type " + String(type));
  if (!Number.isInteger(increment) || increment < 1 || increment > MAX_WINDOW) throw new RangeError("ministream: window increment " + String(increment));
  room(into, offset, FRAME_HEADER + WINDOW_PAYLOAD);
  encodeHeader(into, offset, type, id, WINDOW_PAYLOAD);
  const at = offset + FRAME_HEADER;
  into[at] = increment >>> 24;
  into[at + 1] = (increment >>> 16) & 0xff;
  into[at + 2] = (increment >>> 8) & 0xff;
  into[at + 3] = increment & 0xff;
  return FRAME_HEADER + WINDOW_PAYLOAD;
}

/** C2S_SEND_DATA (id: the server id) or S2C_SEND_DATA (id: the client id) carrying `data`. Returns the frame's size. */
export function encodeData(into: Uint8Array, offset: number, type: number, id: number, data: Uint8Array): number {
  if (type !== C2S_SEND_DATA && type !== S2C_SEND_DATA) throw new RangeError("ministream: not a data type " + String(type));
  room(into, offset, FRAME_HEADER + data.byteLength);
  encodeHeader(into, offset, type, id, data.byteLength);
  into.set(data, offset + FRAME_HEADER);
  return FRAME_HEADER + data.byteLength;
}

/** CHAFF (00 01 FF). Returns 3. */
export function encodeChaff(into: Uint8Array, offset: number): number {
  room(into, offset, CHAFF_FRAME);
  into[offset] = 0;
  into[offset + 1] = 1;
  into[offset + 2] = CHAFF;
  return CHAFF_FRAME;
}
