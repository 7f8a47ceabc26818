// mqtt/packet: the MQTT 3.1.1 wire format (OASIS Standard, 29 October 2014), and nothing else. Owns the protocol's
// constants, named as the spec names them, in one place, and encode / decode as plain functions over Uint8Array:
// no I/O, no state, no allocation on the decode path (decode fills a Packet record the caller reuses; topics and
// payloads are offsets into the caller's bytes). Encoders write into the caller's buffer and throw an MQTTError
// (MQTT_BAD_ARGUMENT, MQTT_PACKET_TOO_LARGE) for what the spec forbids; decode never throws: it answers NEED_MORE,
// PACKET, BAD_PACKET or TOO_LARGE, the last two with a reason, and never trusts a length before checking it against
// the bytes it holds. A packet over the caller's maximum is refused from its fixed header alone.
//
// Every packet (2.2):                       bit  7 6 5 4 | 3 2 1 0
//   byte 1        control packet type + flags     type    | flags (PUBLISH: DUP, QoS(2), RETAIN; PUBREL,
//                                                          |  SUBSCRIBE, UNSUBSCRIBE: 0010; all others: 0000)
//   byte 2..5     Remaining Length: 1-4 bytes, 7 bits each, least significant first, bit 7 = more (max 268,435,455)
//   then          variable header and payload, Remaining Length bytes in all
// Strings are a 16-bit big-endian byte count then UTF-8 (1.5.3); Binary Data the same with raw bytes.
//
// CONNECT (3.1)      10 | RL | 00 04 'M' 'Q' 'T' 'T' | Protocol Level 04 | Connect Flags | Keep Alive MSB LSB
//                    payload: Client Identifier, [Will Topic, Will Message], [User Name], [Password]
//                    Connect Flags: 7 User Name, 6 Password, 5 Will Retain, 4-3 Will QoS, 2 Will Flag,
//                                   1 Clean Session, 0 Reserved (0)
// CONNACK (3.2)      20 | 02 | Connect Acknowledge Flags (bit 0 Session Present) | Connect Return code
// PUBLISH (3.3)      3[DUP QoS QoS RETAIN] | RL | Topic Name | [Packet Identifier MSB LSB if QoS > 0] | payload
// PUBACK (3.4)       40 | 02 | Packet Identifier       PUBREC 50, PUBREL 62, PUBCOMP 70: the same shape
// SUBSCRIBE (3.8)    82 | RL | Packet Identifier | { Topic Filter, Requested QoS (000000 QQ) } one or more
// SUBACK (3.9)       90 | RL | Packet Identifier | Return Code (00, 01, 02, 80 Failure) one per filter
// UNSUBSCRIBE (3.10) A2 | RL | Packet Identifier | { Topic Filter } one or more
// UNSUBACK (3.11)    B0 | 02 | Packet Identifier
// PINGREQ (3.12) C0 00   PINGRESP (3.13) D0 00   DISCONNECT (3.14) E0 00
import { MQTTError, MQTT_BAD_ARGUMENT, MQTT_PACKET_TOO_LARGE } from "mqtt/errors";

// ---- Control packet types (2.2.1, Table 2.1) ----
export const CONNECT = 1;
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const PUBREC = 5;
export const PUBREL = 6;
export const PUBCOMP = 7;
export const SUBSCRIBE = 8;
export const SUBACK = 9;
export const UNSUBSCRIBE = 10;
export const UNSUBACK = 11;
export const PINGREQ = 12;
export const PINGRESP = 13;
export const DISCONNECT = 14;

/** The spec's name of each control packet type, by type number (0 and 15 are Reserved). */
export const PACKET_TYPE_NAMES: readonly string[] = [
  "Reserved", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE", "SUBACK",
  "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "Reserved",
];

// ---- Fixed header flags (2.2.2, Table 2.2) ----
/** The flags PUBREL, SUBSCRIBE and UNSUBSCRIBE must carry; every other type but PUBLISH carries 0. */
export const FIXED_HEADER_FLAGS_0010 = 0x02;
export const PUBLISH_FLAG_DUP = 0x08;
export const PUBLISH_FLAG_QOS_MASK = 0x06;
export const PUBLISH_FLAG_RETAIN = 0x01;

// ---- Remaining Length (2.2.3) ----
export const MAX_REMAINING_LENGTH = 268435455;
/** The Remaining Length field takes at most 4 bytes. */
export const MAX_REMAINING_LENGTH_BYTES = 4;
/** The largest packet there can be: a 5-byte fixed header and the largest Remaining Length. */
export const MAX_PACKET_SIZE = 1 + MAX_REMAINING_LENGTH_BYTES + MAX_REMAINING_LENGTH;

// ---- UTF-8 encoded strings and Binary Data (1.5.3) ----
export const MAX_STRING_LENGTH = 65535;

// ---- CONNECT variable header (3.1.2) ----
export const PROTOCOL_NAME = "MQTT";
/** Protocol Level 4 is MQTT 3.1.1. */
export const PROTOCOL_LEVEL = 4;
export const CONNECT_FLAG_USER_NAME = 0x80;
export const CONNECT_FLAG_PASSWORD = 0x40;
export const CONNECT_FLAG_WILL_RETAIN = 0x20;
export const CONNECT_FLAG_WILL_QOS_MASK = 0x18;
export const CONNECT_FLAG_WILL_QOS_SHIFT = 3;
export const CONNECT_FLAG_WILL = 0x04;
export const CONNECT_FLAG_CLEAN_SESSION = 0x02;
export const CONNECT_FLAG_RESERVED = 0x01;
export const MAX_KEEP_ALIVE = 65535;

// ---- CONNACK (3.2.2) ----
export const CONNACK_FLAG_SESSION_PRESENT = 0x01;
// Connect Return codes (3.2.2.3, Table 3.1)
export const CONNECTION_ACCEPTED = 0;
export const CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION = 1;
export const CONNECTION_REFUSED_IDENTIFIER_REJECTED = 2;
export const CONNECTION_REFUSED_SERVER_UNAVAILABLE = 3;
export const CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD = 4;
export const CONNECTION_REFUSED_NOT_AUTHORIZED = 5;

/** Table 3.1's words for each Connect Return code. */
export const CONNECT_RETURN_CODE_NAMES: readonly string[] = [
  "Connection Accepted",
  "Connection Refused, unacceptable protocol version",
  "Connection Refused, identifier rejected",
  "Connection Refused, Server unavailable",
  "Connection Refused, bad user name or password",
  "Connection Refused, not authorized",
];

// ---- SUBACK return codes (3.9.3) ----
export const SUBACK_MAXIMUM_QOS_0 = 0x00;
export const SUBACK_MAXIMUM_QOS_1 = 0x01;
export const SUBACK_MAXIMUM_QOS_2 = 0x02;
export const SUBACK_FAILURE = 0x80;

// ---- Topic wildcards (4.7.1) ----
export const TOPIC_LEVEL_SEPARATOR = 0x2f; // '/'
export const MULTI_LEVEL_WILDCARD = 0x23; // '#'
export const SINGLE_LEVEL_WILDCARD = 0x2b; // '+'

// ---- Decoder results ----
/** The bytes held are a prefix of a packet: read more (Packet.size says how many in all, once the header is in). */
export const NEED_MORE = 0;
/** A whole, well-formed packet: Packet describes it, Packet.size bytes long. */
export const PACKET = 1;
/** Not an MQTT 3.1.1 packet: Packet.reason says why. The stream cannot be resynchronised: close it. */
export const BAD_PACKET = 2;
/** The fixed header announces more than the maximum packet size: Packet.size is the announced size. */
export const TOO_LARGE = 3;
export type DecodeStatus = typeof NEED_MORE | typeof PACKET | typeof BAD_PACKET | typeof TOO_LARGE;

/**
 * What decode() found, as offsets into the bytes it was given (absolute indexes, not relative to its offset).
 * One record is reused for every packet: decode writes the fields its packet type has and leaves the rest.
 */
export class Packet {
  /** Control packet type (CONNECT ... DISCONNECT). */
  type = 0;
  /** The low 4 bits of the first byte. */
  flags = 0;
  /** PACKET: bytes of the whole packet. NEED_MORE: bytes needed in all (0 until the fixed header is in). TOO_LARGE: announced size. */
  size = 0;
  /** Bytes of the fixed header (2-5). */
  headerSize = 0;
  remainingLength = 0;
  /** BAD_PACKET / TOO_LARGE: why, in words. */
  reason = "";
  // PUBLISH
  dup = false;
  qos = 0;
  retain = false;
  /** PUBLISH (QoS > 0), PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK. */
  packetId = 0;
  topicOffset = 0;
  topicLength = 0;
  /** PUBLISH: the Application Message. SUBSCRIBE / UNSUBSCRIBE: the filter list. SUBACK: the return codes. */
  payloadOffset = 0;
  payloadLength = 0;
  /** SUBSCRIBE / UNSUBSCRIBE: topic filters; SUBACK: return codes. */
  count = 0;
  // CONNACK
  sessionPresent = false;
  returnCode = 0;
  // CONNECT
  protocolLevel = 0;
  connectFlags = 0;
  keepAlive = 0;
  clientIdOffset = 0;
  clientIdLength = 0;
  willTopicOffset = 0;
  willTopicLength = 0;
  willMessageOffset = 0;
  willMessageLength = 0;
  userNameOffset = 0;
  userNameLength = 0;
  passwordOffset = 0;
  passwordLength = 0;
}

// ======================================================================================================
// Remaining Length
// ======================================================================================================

/** Bytes the Remaining Length field takes for `value` (1-4). Throws MQTT_PACKET_TOO_LARGE past 268,435,455. */
export function remainingLengthSize(value: number): number {
  if (value < 128) return 1;
  if (value < 16384) return 2;
  if (value < 2097152) return 3;
  if (value <= MAX_REMAINING_LENGTH) return 4;
  throw new MQTTError(MQTT_PACKET_TOO_LARGE, `Remaining Length ${value} exceeds the protocol's ${MAX_REMAINING_LENGTH}`);
}

/** Writes `value` as a Remaining Length at into[at]; returns the index after it. */
export function writeRemainingLength(into: Uint8Array, at: number, value: number): number {
  if (value >= 0 && value < 128) {
    into[at] = value;
    return at + 1;
  }
  remainingLengthSize(value);
  do {
    let digit = value & 0x7f;
    value >>>= 7;
    if (value > 0) digit |= 0x80;
    into[at++] = digit;
  } while (value > 0);
  return at;
}

// ======================================================================================================
// Strings
// ======================================================================================================

/**
 * UTF-8 byte count of `text`, or -1 when MQTT forbids it as a string: it holds U+0000 (1.5.3; `binary` allows it, for
 * Binary Data and payloads given as text) or a lone surrogate, which has no UTF-8. Does not check the 65535 limit.
 */
export function utf8Length(text: string, binary = false): number {
  let n = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0 && !binary) return -1;
      n += 1;
    } else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < length ? text.charCodeAt(i + 1) : 0;
      if (d < 0xdc00 || d > 0xdfff) return -1;
      i++;
      n += 4;
    } else if (c >= 0xdc00 && c <= 0xdfff) return -1;
    else n += 3;
  }
  return n;
}

/** Writes `text` (checked by utf8Length) as UTF-8 at into[at]; returns the index after it. */
function writeUTF8(into: Uint8Array, at: number, text: string): number {
  const length = text.length;
  for (let i = 0; i < length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) into[at++] = c;
    else if (c < 0x800) {
      into[at++] = 0xc0 | (c >> 6);
      into[at++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
      into[at++] = 0xf0 | (c >> 18);
      into[at++] = 0x80 | ((c >> 12) & 0x3f);
      into[at++] = 0x80 | ((c >> 6) & 0x3f);
      into[at++] = 0x80 | (c & 0x3f);
    } else {
      into[at++] = 0xe0 | (c >> 12);
      into[at++] = 0x80 | ((c >> 6) & 0x3f);
      into[at++] = 0x80 | (c & 0x3f);
    }
  }
  return at;
}

/**
 * Whether bytes[at, at + length) is well-formed UTF-8 (no overlong form, no surrogate, nothing past U+10FFFF)
 * without U+0000, as MQTT requires of every string (1.5.3).
 */
export function validUTF8(bytes: Uint8Array, at: number, length: number): boolean {
  const end = at + length;
  while (at < end) {
    const b = bytes[at]!;
    if (b < 0x80) {
      if (b === 0) return false;
      at++;
      continue;
    }
    let need: number, min: number, c: number;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; min = 0x80; c = b & 0x1f; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; min = 0x800; c = b & 0x0f; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; min = 0x10000; c = b & 0x07; }
    else return false;
    if (at + need >= end) return false; // its last continuation byte would be past the end
    for (let k = 1; k <= need; k++) {
      const t = bytes[at + k]!;
      if ((t & 0xc0) !== 0x80) return false;
      c = (c << 6) | (t & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return false;
    at += need + 1;
  }
  return true;
}

/** The string at bytes[offset, offset + length), decoded (checked by validUTF8 first). Allocates the string. */
export function readString(bytes: Uint8Array, offset: number, length: number): string {
  const buffer = bytes.buffer;
  const start = bytes.byteOffset + offset;
  if (buffer instanceof ArrayBuffer) return String.fromArrayBuffer(buffer.slice(start, start + length));
  const copy = new Uint8Array(length); // bytes over a host buffer, which has no slice()
  copy.set(bytes.subarray(offset, offset + length));
  return String.fromArrayBuffer(copy.buffer);
}

/**
 * UTF-8 byte count of `topic` when it may be a PUBLISH Topic Name (1-65535 bytes of MQTT UTF-8, no wildcard:
 * 3.3.2.1, 4.7), else -1. One pass over the string.
 */
export function topicNameLength(topic: string): number {
  if (typeof topic !== "string") return -1;
  const length = topic.length;
  let n = 0;
  for (let i = 0; i < length; i++) {
    const c = topic.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0 || c === SINGLE_LEVEL_WILDCARD || c === MULTI_LEVEL_WILDCARD) return -1;
      n += 1;
    } else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < length ? topic.charCodeAt(i + 1) : 0;
      if (d < 0xdc00 || d > 0xdfff) return -1;
      i++;
      n += 4;
    } else if (c >= 0xdc00 && c <= 0xdfff) return -1;
    else n += 3;
  }
  return n >= 1 && n <= MAX_STRING_LENGTH ? n : -1;
}

/** Whether `topic` may be a PUBLISH Topic Name: 1-65535 bytes of MQTT UTF-8 without wildcards (3.3.2.1, 4.7). */
export function validTopicName(topic: string): boolean {
  return topicNameLength(topic) > 0;
}

/** Whether `filter` is a Topic Filter: '#' only last and alone in its level, '+' alone in its level (4.7.1). */
export function validTopicFilter(filter: string): boolean {
  if (typeof filter !== "string" || filter.length === 0) return false;
  const n = utf8Length(filter);
  if (n < 1 || n > MAX_STRING_LENGTH) return false;
  const last = filter.length - 1;
  for (let i = 0; i <= last; i++) {
    const c = filter.charCodeAt(i);
    if (c === MULTI_LEVEL_WILDCARD) {
      if (i !== last || (i > 0 && filter.charCodeAt(i - 1) !== TOPIC_LEVEL_SEPARATOR)) return false;
    } else if (c === SINGLE_LEVEL_WILDCARD) {
      if (i > 0 && filter.charCodeAt(i - 1) !== TOPIC_LEVEL_SEPARATOR) return false;
      if (i < last && filter.charCodeAt(i + 1) !== TOPIC_LEVEL_SEPARATOR) return false;
    }
  }
  return true;
}

/** validTopicFilter over bytes (a decoded filter, already checked as UTF-8). */
function validFilterBytes(bytes: Uint8Array, at: number, length: number): boolean {
  const last = at + length - 1;
  for (let i = at; i <= last; i++) {
    const c = bytes[i];
    if (c === MULTI_LEVEL_WILDCARD) {
      if (i !== last || (i > at && bytes[i - 1] !== TOPIC_LEVEL_SEPARATOR)) return false;
    } else if (c === SINGLE_LEVEL_WILDCARD) {
      if (i > at && bytes[i - 1] !== TOPIC_LEVEL_SEPARATOR) return false;
      if (i < last && bytes[i + 1] !== TOPIC_LEVEL_SEPARATOR) return false;
    }
  }
  return true;
}

// ======================================================================================================
// Encoders: each writes one packet at into[offset] and returns its size in bytes.
// ======================================================================================================

function bad(message: string): MQTTError {
  return new MQTTError(MQTT_BAD_ARGUMENT, message);
}

/** UTF-8 length of a string field, checked: MQTT_BAD_ARGUMENT names the field. */
function stringField(text: string, what: string): number {
  if (typeof text !== "string") throw bad(`${what} must be a string`);
  const n = utf8Length(text);
  if (n < 0) throw bad(`${what} holds U+0000 or a lone surrogate, which MQTT strings may not`);
  if (n > MAX_STRING_LENGTH) throw bad(`${what} is ${n} bytes of UTF-8; MQTT strings hold at most ${MAX_STRING_LENGTH}`);
  return n;
}

/** Byte length of a Binary Data / payload field given as bytes or as a string (sent as UTF-8). */
function dataLength(data: Uint8Array | string, what: string, max: number): number {
  let n: number;
  if (data instanceof Uint8Array) n = data.byteLength;
  else if (typeof data === "string") {
    n = utf8Length(data, true);
    if (n < 0) throw bad(`${what} holds a lone surrogate, which has no UTF-8`);
  } else throw bad(`${what} must be a Uint8Array or a string`);
  if (n > max) throw new MQTTError(MQTT_PACKET_TOO_LARGE, `${what} is ${n} bytes; at most ${max}`);
  return n;
}

function writeData(into: Uint8Array, at: number, data: Uint8Array | string): number {
  if (typeof data === "string") return writeUTF8(into, at, data);
  into.set(data, at);
  return at + data.byteLength;
}

function writeUint16(into: Uint8Array, at: number, value: number): number {
  into[at] = value >>> 8;
  into[at + 1] = value & 0xff;
  return at + 2;
}

/** Room check, then the fixed header: returns the index of the variable header. */
function fixedHeader(into: Uint8Array, offset: number, byte1: number, remaining: number, name: string): number {
  if (!(into instanceof Uint8Array)) throw bad("encode into a Uint8Array");
  if ((offset >>> 0) !== offset || offset > into.byteLength) throw bad(`offset ${String(offset)} is outside the buffer`);
  const size = 1 + remainingLengthSize(remaining) + remaining;
  if (size > into.byteLength - offset) {
    throw new MQTTError(MQTT_PACKET_TOO_LARGE, `${name} of ${size} bytes does not fit the ${into.byteLength - offset} bytes given`);
  }
  into[offset] = byte1;
  return writeRemainingLength(into, offset + 1, remaining);
}

function checkPacketId(packetId: number): void {
  if ((packetId >>> 0) !== packetId || packetId < 1 || packetId > 0xffff) {
    throw bad(`Packet Identifier must be 1-65535, not ${String(packetId)}`);
  }
}

function checkQoS(qos: number, what: string): void {
  if (qos !== 0 && qos !== 1 && qos !== 2) throw bad(`${what} must be 0, 1 or 2, not ${String(qos)}`);
}

export type Will = { topic: string; message: Uint8Array | string; qos?: number; retain?: boolean };

export type ConnectFields = {
  clientId: string;
  cleanSession: boolean;
  /** Seconds, 0-65535 (0: no keep-alive). */
  keepAlive: number;
  userName?: string;
  password?: Uint8Array | string;
  will?: Will;
};

/** Bytes of the CONNECT for these fields (checked as encodeConnect checks them). */
export function connectSize(fields: ConnectFields): number {
  const { clientId, cleanSession, keepAlive, userName, password, will } = fields;
  let remaining = 10 + 2 + stringField(clientId, "Client Identifier");
  if (clientId.length === 0 && !cleanSession) throw bad("a zero-byte Client Identifier needs Clean Session (MQTT-3.1.3-7)");
  if ((keepAlive >>> 0) !== keepAlive || keepAlive > MAX_KEEP_ALIVE) throw bad(`Keep Alive must be 0-65535 s, not ${String(keepAlive)}`);
  if (will) {
    if (!validTopicName(will.topic)) throw bad(`Will Topic ${JSON.stringify(will.topic)} is not a topic name`);
    checkQoS(will.qos ?? 0, "Will QoS");
    remaining += 2 + utf8Length(will.topic) + 2 + dataLength(will.message, "Will Message", MAX_STRING_LENGTH);
  }
  if (userName !== undefined) remaining += 2 + stringField(userName, "User Name");
  if (password !== undefined) {
    if (userName === undefined) throw bad("a Password needs a User Name (MQTT-3.1.2-22)");
    remaining += 2 + dataLength(password, "Password", MAX_STRING_LENGTH);
  }
  return 1 + remainingLengthSize(remaining) + remaining;
}

export function encodeConnect(into: Uint8Array, offset: number, fields: ConnectFields): number {
  const size = connectSize(fields);
  const { clientId, cleanSession, keepAlive, userName, password, will } = fields;
  let flags = cleanSession ? CONNECT_FLAG_CLEAN_SESSION : 0;
  if (will) {
    flags |= CONNECT_FLAG_WILL | ((will.qos ?? 0) << CONNECT_FLAG_WILL_QOS_SHIFT);
    if (will.retain) flags |= CONNECT_FLAG_WILL_RETAIN;
  }
  if (userName !== undefined) flags |= CONNECT_FLAG_USER_NAME;
  if (password !== undefined) flags |= CONNECT_FLAG_PASSWORD;
  let at = fixedHeader(into, offset, CONNECT << 4, remainingOf(size), "CONNECT");
  at = writeUint16(into, at, 4);
  at = writeUTF8(into, at, PROTOCOL_NAME);
  into[at++] = PROTOCOL_LEVEL;
  into[at++] = flags;
  at = writeUint16(into, at, keepAlive);
  at = writeUTF8(into, writeUint16(into, at, utf8Length(clientId)), clientId);
  if (will) {
    at = writeUTF8(into, writeUint16(into, at, utf8Length(will.topic)), will.topic);
    at = writeData(into, writeUint16(into, at, dataLength(will.message, "Will Message", MAX_STRING_LENGTH)), will.message);
  }
  if (userName !== undefined) at = writeUTF8(into, writeUint16(into, at, utf8Length(userName)), userName);
  if (password !== undefined) at = writeData(into, writeUint16(into, at, dataLength(password, "Password", MAX_STRING_LENGTH)), password);
  return at - offset;
}

/** The Remaining Length of a packet of `size` bytes in all (the inverse of 1 + remainingLengthSize(r) + r). */
function remainingOf(size: number): number {
  if (size >= 2 && size < 130) return size - 2; // one byte of Remaining Length
  for (let n = 1; n <= MAX_REMAINING_LENGTH_BYTES; n++) {
    const r = size - 1 - n;
    if (r >= 0 && remainingLengthSize(r) === n) return r;
  }
  throw new MQTTError(MQTT_PACKET_TOO_LARGE, `no Remaining Length gives a packet of ${size} bytes`);
}

export function encodeConnack(into: Uint8Array, offset: number, sessionPresent: boolean, returnCode: number): number {
  if ((returnCode >>> 0) !== returnCode || returnCode > 255) throw bad(`Connect Return code must be a byte, not ${String(returnCode)}`);
  const at = fixedHeader(into, offset, CONNACK << 4, 2, "CONNACK");
  into[at] = sessionPresent ? CONNACK_FLAG_SESSION_PRESENT : 0;
  into[at + 1] = returnCode;
  return 4;
}

/**
 * Bytes of a PUBLISH of `topic` with a payload of `payloadLength` bytes; throws MQTT_BAD_ARGUMENT for a topic that
 * is no Topic Name or a QoS that is not 0-2.
 */
export function publishSize(topic: string, payloadLength: number, qos: number): number {
  const topicLength = topicNameLength(topic);
  if (topicLength < 0) throw bad(`${JSON.stringify(topic)} is not a topic name (1-65535 bytes, no wildcard, no U+0000)`);
  checkQoS(qos, "QoS");
  return publishSizeOf(topicLength, payloadLength, qos);
}

/** Bytes of a PUBLISH whose Topic Name is `topicLength` bytes of UTF-8 (already checked by topicNameLength). */
export function publishSizeOf(topicLength: number, payloadLength: number, qos: number): number {
  const remaining = 2 + topicLength + (qos > 0 ? 2 : 0) + payloadLength;
  return 1 + remainingLengthSize(remaining) + remaining;
}

/**
 * A Topic Name's UTF-8 into `into` at 0, to be published many times (writePublish copies it); returns its byte
 * length, or -1 when `topic` is no Topic Name or its bytes do not fit `into` (nothing is written then).
 */
export function encodeTopicName(into: Uint8Array, topic: string): number {
  const n = topicNameLength(topic);
  if (n < 0 || n > into.byteLength) return -1;
  writeUTF8(into, 0, topic);
  return n;
}

/** Byte length of a payload given as bytes or as a string (sent as UTF-8). */
export function payloadLength(payload: Uint8Array | string): number {
  return dataLength(payload, "payload", MAX_REMAINING_LENGTH);
}

export function encodePublish(
  into: Uint8Array, offset: number, topic: string, payload: Uint8Array | string,
  qos: number, retain: boolean, dup: boolean, packetId: number,
): number {
  const size = publishSize(topic, payloadLength(payload), qos);
  if (qos > 0) checkPacketId(packetId);
  else if (dup) throw bad("DUP must be 0 for a QoS 0 PUBLISH (MQTT-3.3.1-2)");
  if (!(into instanceof Uint8Array)) throw bad("encode into a Uint8Array");
  if ((offset >>> 0) !== offset || size > into.byteLength - offset) {
    throw new MQTTError(MQTT_PACKET_TOO_LARGE, `PUBLISH of ${size} bytes does not fit the ${into.byteLength - offset} bytes given`);
  }
  let at = publishHeader(into, offset, size, qos, retain, dup);
  const topicEnd = writeUTF8(into, at + 2, topic);
  writeUint16(into, at, topicEnd - at - 2);
  return publishRest(into, offset, topicEnd, qos, packetId, payload);
}

/**
 * encodePublish without its checks, for a caller that made them: the Topic Name is `topic` (topicLength bytes of
 * UTF-8 by topicNameLength()) or its bytes topic[0, topicLength) as encodeTopicName() wrote them; `size` is what
 * publishSizeOf() answered for these fields, into[offset, offset + size) is room, qos is 0-2 and packetId is
 * 1-65535 when qos > 0.
 */
export function writePublish(
  into: Uint8Array, offset: number, size: number, topic: Uint8Array | string, topicLength: number,
  payload: Uint8Array | string, qos: number, retain: boolean, dup: boolean, packetId: number,
): number {
  // Straight through (a PUBLISH per message is the hot path): fixed header, Topic Name, Packet Identifier, payload.
  let at = publishHeader(into, offset, size, qos, retain, dup);
  into[at] = topicLength >>> 8;
  into[at + 1] = topicLength & 0xff;
  at += 2;
  if (typeof topic === "string") writeUTF8(into, at, topic);
  else into.set(topicLength === topic.byteLength ? topic : topic.subarray(0, topicLength), at);
  at += topicLength;
  if (qos > 0) {
    into[at] = packetId >>> 8;
    into[at + 1] = packetId & 0xff;
    at += 2;
  }
  return writeData(into, at, payload) - offset;
}

/** A PUBLISH's fixed header: returns where its Topic Name's length goes. */
function publishHeader(into: Uint8Array, offset: number, size: number, qos: number, retain: boolean, dup: boolean): number {
  into[offset] = (PUBLISH << 4) | (dup ? PUBLISH_FLAG_DUP : 0) | (qos << 1) | (retain ? PUBLISH_FLAG_RETAIN : 0);
  return writeRemainingLength(into, offset + 1, remainingOf(size));
}

/** After the Topic Name: the Packet Identifier (QoS > 0) and the payload; returns the packet's length. */
function publishRest(into: Uint8Array, offset: number, at: number, qos: number, packetId: number, payload: Uint8Array | string): number {
  if (qos > 0) at = writeUint16(into, at, packetId);
  return writeData(into, at, payload) - offset;
}

function encodeAck(into: Uint8Array, offset: number, byte1: number, packetId: number, name: string): number {
  checkPacketId(packetId);
  writeUint16(into, fixedHeader(into, offset, byte1, 2, name), packetId);
  return 4;
}

export function encodePuback(into: Uint8Array, offset: number, packetId: number): number {
  return encodeAck(into, offset, PUBACK << 4, packetId, "PUBACK");
}

export function encodeUnsuback(into: Uint8Array, offset: number, packetId: number): number {
  return encodeAck(into, offset, UNSUBACK << 4, packetId, "UNSUBACK");
}

export type Subscription = { topic: string; qos: number };

/** Bytes of a SUBSCRIBE for these filters. */
export function subscribeSize(filters: readonly Subscription[]): number {
  if (!Array.isArray(filters) || filters.length === 0) throw bad("SUBSCRIBE needs at least one Topic Filter (MQTT-3.8.3-3)");
  let remaining = 2;
  for (const f of filters) {
    if (!validTopicFilter(f.topic)) throw bad(`${JSON.stringify(f.topic)} is not a topic filter`);
    checkQoS(f.qos, "Requested QoS");
    remaining += 2 + utf8Length(f.topic) + 1;
  }
  return 1 + remainingLengthSize(remaining) + remaining;
}

export function encodeSubscribe(into: Uint8Array, offset: number, packetId: number, filters: readonly Subscription[]): number {
  const size = subscribeSize(filters);
  checkPacketId(packetId);
  let at = fixedHeader(into, offset, (SUBSCRIBE << 4) | FIXED_HEADER_FLAGS_0010, remainingOf(size), "SUBSCRIBE");
  at = writeUint16(into, at, packetId);
  for (const f of filters) {
    at = writeUTF8(into, writeUint16(into, at, utf8Length(f.topic)), f.topic);
    into[at++] = f.qos;
  }
  return at - offset;
}

export function encodeSuback(into: Uint8Array, offset: number, packetId: number, returnCodes: ArrayLike<number>): number {
  checkPacketId(packetId);
  if (returnCodes.length === 0) throw bad("SUBACK needs a return code per Topic Filter");
  for (let i = 0; i < returnCodes.length; i++) {
    const c = returnCodes[i]!;
    if (c !== 0 && c !== 1 && c !== 2 && c !== SUBACK_FAILURE) throw bad(`SUBACK return code ${String(c)} is not 0x00-0x02 or 0x80`);
  }
  let at = fixedHeader(into, offset, SUBACK << 4, 2 + returnCodes.length, "SUBACK");
  at = writeUint16(into, at, packetId);
  for (let i = 0; i < returnCodes.length; i++) into[at++] = returnCodes[i]!;
  return at - offset;
}

/** Bytes of an UNSUBSCRIBE for these filters. */
export function unsubscribeSize(filters: readonly string[]): number {
  if (!Array.isArray(filters) || filters.length === 0) throw bad("UNSUBSCRIBE needs at least one Topic Filter (MQTT-3.10.3-2)");
  let remaining = 2;
  for (const f of filters) {
    if (!validTopicFilter(f)) throw bad(`${JSON.stringify(f)} is not a topic filter`);
    remaining += 2 + utf8Length(f);
  }
  return 1 + remainingLengthSize(remaining) + remaining;
}

export function encodeUnsubscribe(into: Uint8Array, offset: number, packetId: number, filters: readonly string[]): number {
  const size = unsubscribeSize(filters);
  checkPacketId(packetId);
  let at = fixedHeader(into, offset, (UNSUBSCRIBE << 4) | FIXED_HEADER_FLAGS_0010, remainingOf(size), "UNSUBSCRIBE");
  at = writeUint16(into, at, packetId);
  for (const f of filters) at = writeUTF8(into, writeUint16(into, at, utf8Length(f)), f);
  return at - offset;
}

export function encodePingreq(into: Uint8Array, offset: number): number {
  fixedHeader(into, offset, PINGREQ << 4, 0, "PINGREQ");
  return 2;
}

export function encodePingresp(into: Uint8Array, offset: number): number {
  fixedHeader(into, offset, PINGRESP << 4, 0, "PINGRESP");
  return 2;
}

export function encodeDisconnect(into: Uint8Array, offset: number): number {
  fixedHeader(into, offset, DISCONNECT << 4, 0, "DISCONNECT");
  return 2;
}

// ======================================================================================================
// Decoder
// ======================================================================================================

function refuse(into: Packet, reason: string): DecodeStatus {
  into.reason = reason;
  return BAD_PACKET;
}

/** The name of a Connect Return code as Table 3.1 words it. */
export function connectReturnCodeName(code: number): string {
  return CONNECT_RETURN_CODE_NAMES[code] ?? `unknown Connect Return code ${code}`;
}

/**
 * Decode the packet at bytes[offset, offset + length), refusing any whose size exceeds maxPacketSize (bytes of the
 * whole packet, fixed header included). Fills `into`; returns NEED_MORE, PACKET, BAD_PACKET or TOO_LARGE.
 * Never throws for any bytes, never reads outside [offset, offset + length), never allocates (but for the reason).
 */
export function decode(bytes: Uint8Array, offset: number, length: number, into: Packet, maxPacketSize: number = MAX_PACKET_SIZE): DecodeStatus {
  into.size = 0;
  into.reason = "";
  if (length < 1) return NEED_MORE;
  const byte1 = bytes[offset]!;
  // A whole PUBACK (what a QoS 1 publisher reads most): the general path below gives the same fields.
  if (byte1 === PUBACK << 4 && length >= 4 && bytes[offset + 1] === 2 && maxPacketSize >= 4) {
    const id = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    if (id !== 0) {
      into.type = PUBACK;
      into.flags = 0;
      into.headerSize = 2;
      into.remainingLength = 2;
      into.size = 4;
      into.packetId = id;
      return PACKET;
    }
  }
  const type = byte1 >> 4;
  const flags = byte1 & 0x0f;
  into.type = type;
  into.flags = flags;
  if (type === 0 || type === 15) return refuse(into, `unknown packet type ${type} (Reserved)`);
  if (type === PUBLISH) {
    const qos = (flags & PUBLISH_FLAG_QOS_MASK) >> 1;
    if (qos === 3) return refuse(into, "PUBLISH with QoS 3 (MQTT-3.3.1-4)");
    if (qos === 0 && (flags & PUBLISH_FLAG_DUP)) return refuse(into, "PUBLISH with DUP set at QoS 0 (MQTT-3.3.1-2)");
  } else {
    const expected = type === PUBREL || type === SUBSCRIBE || type === UNSUBSCRIBE ? FIXED_HEADER_FLAGS_0010 : 0;
    if (flags !== expected) return refuse(into, `${PACKET_TYPE_NAMES[type]} with fixed header flags ${flags}, must be ${expected} (2.2.2)`);
  }
  // Remaining Length: at most 4 bytes, the 4th without a continuation bit.
  let remaining = 0;
  let multiplier = 1;
  let i = 1;
  for (;;) {
    if (i >= length) return NEED_MORE;
    const digit = bytes[offset + i]!;
    remaining += (digit & 0x7f) * multiplier;
    i++;
    if ((digit & 0x80) === 0) break;
    if (i > MAX_REMAINING_LENGTH_BYTES) return refuse(into, "Remaining Length longer than 4 bytes (2.2.3)");
    multiplier *= 128;
  }
  const size = i + remaining;
  into.headerSize = i;
  into.remainingLength = remaining;
  if (size > maxPacketSize) {
    into.size = size;
    into.reason = `${PACKET_TYPE_NAMES[type]} of ${size} bytes exceeds the maximum packet size of ${maxPacketSize}`;
    return TOO_LARGE;
  }
  if (length < size) {
    into.size = size;
    return NEED_MORE;
  }
  into.size = size;
  const start = offset + i;
  const end = start + remaining;
  switch (type) {
    case CONNECT: return decodeConnect(bytes, start, end, into);
    case CONNACK: return decodeConnack(bytes, start, remaining, into);
    case PUBLISH: return decodePublish(bytes, start, end, into);
    case PUBACK: case PUBREC: case PUBREL: case PUBCOMP: case UNSUBACK:
      if (remaining !== 2) return refuse(into, `${PACKET_TYPE_NAMES[type]} with Remaining Length ${remaining}, must be 2`);
      return packetIdAt(bytes, start, into);
    case SUBSCRIBE: return decodeFilters(bytes, start, end, into, true);
    case UNSUBSCRIBE: return decodeFilters(bytes, start, end, into, false);
    case SUBACK: return decodeSuback(bytes, start, end, into);
    default: // PINGREQ, PINGRESP, DISCONNECT
      if (remaining !== 0) return refuse(into, `${PACKET_TYPE_NAMES[type]} with Remaining Length ${remaining}, must be 0`);
      return PACKET;
  }
}

function packetIdAt(bytes: Uint8Array, at: number, into: Packet): DecodeStatus {
  const id = (bytes[at]! << 8) | bytes[at + 1]!;
  if (id === 0) return refuse(into, `${PACKET_TYPE_NAMES[into.type]} with Packet Identifier 0 (2.3.1)`);
  into.packetId = id;
  return PACKET;
}

function decodeConnack(bytes: Uint8Array, at: number, remaining: number, into: Packet): DecodeStatus {
  if (remaining !== 2) return refuse(into, `CONNACK with Remaining Length ${remaining}, must be 2 (3.2.1)`);
  const ackFlags = bytes[at]!;
  const code = bytes[at + 1]!;
  if (ackFlags & ~CONNACK_FLAG_SESSION_PRESENT) return refuse(into, `CONNACK with reserved Connect Acknowledge Flags set (${ackFlags}) (3.2.2.1)`);
  if (code > CONNECTION_REFUSED_NOT_AUTHORIZED) return refuse(into, `CONNACK with unknown Connect Return code ${code} (3.2.2.3)`);
  if (code !== CONNECTION_ACCEPTED && ackFlags) return refuse(into, "CONNACK refusing the connection with Session Present set (MQTT-3.2.2-4)");
  into.sessionPresent = ackFlags === CONNACK_FLAG_SESSION_PRESENT;
  into.returnCode = code;
  return PACKET;
}

function decodePublish(bytes: Uint8Array, at: number, end: number, into: Packet): DecodeStatus {
  const flags = into.flags;
  const qos = (flags & PUBLISH_FLAG_QOS_MASK) >> 1;
  into.qos = qos;
  into.dup = (flags & PUBLISH_FLAG_DUP) !== 0;
  into.retain = (flags & PUBLISH_FLAG_RETAIN) !== 0;
  if (end - at < 2) return refuse(into, "PUBLISH too short for its Topic Name length");
  const topicLength = (bytes[at]! << 8) | bytes[at + 1]!;
  at += 2;
  if (topicLength === 0) return refuse(into, "PUBLISH with an empty Topic Name (4.7.3)");
  if (topicLength > end - at) return refuse(into, `PUBLISH Topic Name of ${topicLength} bytes runs past the packet's ${end - at}`);
  if (!validUTF8(bytes, at, topicLength)) return refuse(into, "PUBLISH Topic Name is not MQTT UTF-8 (1.5.3)");
  for (let k = at; k < at + topicLength; k++) {
    if (bytes[k] === MULTI_LEVEL_WILDCARD || bytes[k] === SINGLE_LEVEL_WILDCARD) {
      return refuse(into, "PUBLISH Topic Name with a wildcard (MQTT-3.3.2-2)");
    }
  }
  into.topicOffset = at;
  into.topicLength = topicLength;
  at += topicLength;
  into.packetId = 0;
  if (qos > 0) {
    if (end - at < 2) return refuse(into, "PUBLISH too short for its Packet Identifier");
    if (packetIdAt(bytes, at, into) !== PACKET) return BAD_PACKET;
    at += 2;
  }
  into.payloadOffset = at;
  into.payloadLength = end - at;
  return PACKET;
}

function decodeSuback(bytes: Uint8Array, at: number, end: number, into: Packet): DecodeStatus {
  if (end - at < 3) return refuse(into, `SUBACK with Remaining Length ${end - at}, needs a Packet Identifier and a return code`);
  if (packetIdAt(bytes, at, into) !== PACKET) return BAD_PACKET;
  for (let k = at + 2; k < end; k++) {
    const c = bytes[k]!;
    if (c > SUBACK_MAXIMUM_QOS_2 && c !== SUBACK_FAILURE) return refuse(into, `SUBACK return code ${c} is not 0x00-0x02 or 0x80 (3.9.3)`);
  }
  into.payloadOffset = at + 2;
  into.payloadLength = end - at - 2;
  into.count = end - at - 2;
  return PACKET;
}

/** SUBSCRIBE (a Requested QoS byte after each filter) or UNSUBSCRIBE. */
function decodeFilters(bytes: Uint8Array, at: number, end: number, into: Packet, withQoS: boolean): DecodeStatus {
  const name = PACKET_TYPE_NAMES[into.type];
  if (end - at < 2) return refuse(into, `${name} too short for its Packet Identifier`);
  if (packetIdAt(bytes, at, into) !== PACKET) return BAD_PACKET;
  at += 2;
  into.payloadOffset = at;
  into.payloadLength = end - at;
  let count = 0;
  while (at < end) {
    if (end - at < 2) return refuse(into, `${name} Topic Filter length cut off`);
    const n = (bytes[at]! << 8) | bytes[at + 1]!;
    at += 2;
    if (n === 0) return refuse(into, `${name} with an empty Topic Filter (4.7.3)`);
    if (n > end - at) return refuse(into, `${name} Topic Filter of ${n} bytes runs past the packet`);
    if (!validUTF8(bytes, at, n)) return refuse(into, `${name} Topic Filter is not MQTT UTF-8`);
    if (!validFilterBytes(bytes, at, n)) return refuse(into, `${name} Topic Filter with a misplaced wildcard (4.7.1)`);
    at += n;
    if (withQoS) {
      if (at >= end) return refuse(into, "SUBSCRIBE Topic Filter without its Requested QoS");
      const q = bytes[at++]!;
      if (q > 2) return refuse(into, `SUBSCRIBE Requested QoS byte ${q}: reserved bits set or QoS 3 (MQTT-3.8.3-4)`);
    }
    count++;
  }
  if (count === 0) return refuse(into, `${name} without a Topic Filter`);
  into.count = count;
  return PACKET;
}

/** Reads a length-prefixed field at `at`; returns the index after it, or -1 when it runs past `end`. */
function field(bytes: Uint8Array, at: number, end: number): number {
  if (end - at < 2) return -1;
  const n = (bytes[at]! << 8) | bytes[at + 1]!;
  if (n > end - at - 2) return -1;
  return at + 2 + n;
}

function decodeConnect(bytes: Uint8Array, at: number, end: number, into: Packet): DecodeStatus {
  if (end - at < 10) return refuse(into, "CONNECT too short for its variable header");
  if (bytes[at] !== 0 || bytes[at + 1] !== 4 || bytes[at + 2] !== 0x4d || bytes[at + 3] !== 0x51 || bytes[at + 4] !== 0x54 || bytes[at + 5] !== 0x54) {
    return refuse(into, "CONNECT Protocol Name is not \"MQTT\" (MQTT-3.1.2-1)");
  }
  const level = bytes[at + 6]!;
  const flags = bytes[at + 7]!;
  into.protocolLevel = level;
  into.connectFlags = flags;
  into.keepAlive = (bytes[at + 8]! << 8) | bytes[at + 9]!;
  if (level !== PROTOCOL_LEVEL) return refuse(into, `CONNECT Protocol Level ${level}; MQTT 3.1.1 is 4 (answer CONNACK 1)`);
  if (flags & CONNECT_FLAG_RESERVED) return refuse(into, "CONNECT with the reserved flag set (MQTT-3.1.2-3)");
  const will = (flags & CONNECT_FLAG_WILL) !== 0;
  const willQoS = (flags & CONNECT_FLAG_WILL_QOS_MASK) >> CONNECT_FLAG_WILL_QOS_SHIFT;
  if (willQoS === 3) return refuse(into, "CONNECT Will QoS 3 (MQTT-3.1.2-14)");
  if (!will && (willQoS !== 0 || (flags & CONNECT_FLAG_WILL_RETAIN))) return refuse(into, "CONNECT Will QoS or Will Retain without the Will Flag (MQTT-3.1.2-11)");
  if ((flags & CONNECT_FLAG_PASSWORD) && !(flags & CONNECT_FLAG_USER_NAME)) return refuse(into, "CONNECT Password without User Name (MQTT-3.1.2-22)");
  at += 10;
  let next = field(bytes, at, end);
  if (next < 0) return refuse(into, "CONNECT Client Identifier runs past the packet");
  into.clientIdOffset = at + 2;
  into.clientIdLength = next - at - 2;
  if (!validUTF8(bytes, into.clientIdOffset, into.clientIdLength)) return refuse(into, "CONNECT Client Identifier is not MQTT UTF-8");
  at = next;
  into.willTopicOffset = into.willTopicLength = into.willMessageOffset = into.willMessageLength = 0;
  into.userNameOffset = into.userNameLength = into.passwordOffset = into.passwordLength = 0;
  if (will) {
    next = field(bytes, at, end);
    if (next < 0) return refuse(into, "CONNECT Will Topic runs past the packet");
    into.willTopicOffset = at + 2;
    into.willTopicLength = next - at - 2;
    if (into.willTopicLength === 0 || !validUTF8(bytes, into.willTopicOffset, into.willTopicLength)) return refuse(into, "CONNECT Will Topic is empty or not MQTT UTF-8");
    at = next;
    next = field(bytes, at, end);
    if (next < 0) return refuse(into, "CONNECT Will Message runs past the packet");
    into.willMessageOffset = at + 2;
    into.willMessageLength = next - at - 2;
    at = next;
  }
  if (flags & CONNECT_FLAG_USER_NAME) {
    next = field(bytes, at, end);
    if (next < 0) return refuse(into, "CONNECT User Name runs past the packet");
    into.userNameOffset = at + 2;
    into.userNameLength = next - at - 2;
    if (!validUTF8(bytes, into.userNameOffset, into.userNameLength)) return refuse(into, "CONNECT User Name is not MQTT UTF-8");
    at = next;
  }
  if (flags & CONNECT_FLAG_PASSWORD) {
    next = field(bytes, at, end);
    if (next < 0) return refuse(into, "CONNECT Password runs past the packet");
    into.passwordOffset = at + 2;
    into.passwordLength = next - at - 2;
    at = next;
  }
  if (at !== end) return refuse(into, `CONNECT with ${end - at} bytes after its last field`);
  return PACKET;
}
