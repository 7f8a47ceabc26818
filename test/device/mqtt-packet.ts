// Device-side cases for mqtt/packet, the MQTT 3.1.1 codec, run inside XS: exact bytes of every packet type as the
// spec draws them, round trips, the Remaining Length at its boundaries, and malformed input refused with a reason
// (bad Remaining Length, truncated, oversize, unknown type, bad CONNACK, ...). Reports "ok <name>" / "not ok <name>
// <why>" per case (test/mqtt-packet.test.js lists them), then "done".
import {
  Packet, decode, NEED_MORE, PACKET, BAD_PACKET, TOO_LARGE, MAX_PACKET_SIZE, MAX_REMAINING_LENGTH,
  CONNECT, CONNACK, PUBLISH, PUBACK, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT,
  SUBACK_FAILURE, CONNECTION_ACCEPTED, CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION,
  CONNECTION_REFUSED_IDENTIFIER_REJECTED, CONNECTION_REFUSED_SERVER_UNAVAILABLE,
  CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD, CONNECTION_REFUSED_NOT_AUTHORIZED, CONNECT_FLAG_CLEAN_SESSION,
  encodeConnect, encodeConnack, encodePublish, encodePuback, encodeSubscribe, encodeSuback, encodeUnsubscribe,
  encodeUnsuback, encodePingreq, encodePingresp, encodeDisconnect, writeRemainingLength, remainingLengthSize,
  connectReturnCodeName, readString, validTopicFilter, validTopicName, validUTF8, utf8Length, publishSize,
} from "mqtt/packet";
import type { DecodeStatus } from "mqtt/packet";
import { check, equal, hex, sameBytes, throwsCode, run } from "./mqtt/check";

const STATUS = ["NEED_MORE", "PACKET", "BAD_PACKET", "TOO_LARGE"];
const p = new Packet();

function decodes(bytes: Uint8Array, expected: DecodeStatus, what: string, max = MAX_PACKET_SIZE): Packet {
  const status = decode(bytes, 0, bytes.length, p, max);
  if (status !== expected) throw new Error(`${what}: ${STATUS[status]} (${p.reason}), expected ${STATUS[expected]}`);
  return p;
}

/** Refused as BAD_PACKET with a reason containing `words`. */
function refused(bytes: Uint8Array, words: string, what: string): void {
  decodes(bytes, BAD_PACKET, what);
  check(p.reason.indexOf(words) >= 0, `${what}: reason "${p.reason}" does not say "${words}"`);
}

function encoded(encode: (into: Uint8Array) => number): Uint8Array {
  const buffer = new Uint8Array(512);
  const n = encode(buffer);
  return buffer.subarray(0, n);
}

const text = (bytes: Uint8Array, offset: number, length: number) => readString(bytes, offset, length);

// ---- CONNECT ----

run("connect-minimal-bytes", () => {
  const bytes = encoded((b) => encodeConnect(b, 0, { clientId: "dev1", cleanSession: true, keepAlive: 60 }));
  sameBytes(bytes, hex("10 10 00 04 4d 51 54 54 04 02 00 3c 00 04 64 65 76 31"), "CONNECT");
});

run("connect-full-bytes", () => {
  const bytes = encoded((b) => encodeConnect(b, 0, {
    clientId: "d", cleanSession: false, keepAlive: 10, userName: "u", password: "pw",
    will: { topic: "w/t", message: "bye", qos: 1, retain: true },
  }));
  // Connect Flags EC: User Name, Password, Will Retain, Will QoS 1, Will Flag; Clean Session 0.
  sameBytes(bytes, hex("10 1e 00 04 4d 51 54 54 04 ec 00 0a 00 01 64 00 03 77 2f 74 00 03 62 79 65 00 01 75 00 02 70 77"), "CONNECT");
});

run("connect-roundtrip", () => {
  const password = Uint8Array.of(0, 1, 255);
  const bytes = encoded((b) => encodeConnect(b, 0, {
    clientId: "sensor-42", cleanSession: true, keepAlive: 300, userName: "ünïcode", password,
    will: { topic: "dev/42/status", message: Uint8Array.of(9, 8), qos: 0, retain: false },
  }));
  decodes(bytes, PACKET, "CONNECT");
  equal(p.type, CONNECT, "type");
  equal(p.size, bytes.length, "size");
  equal(p.protocolLevel, 4, "level");
  equal(p.keepAlive, 300, "keep alive");
  check((p.connectFlags & CONNECT_FLAG_CLEAN_SESSION) !== 0, "clean session");
  equal(text(bytes, p.clientIdOffset, p.clientIdLength), "sensor-42", "client id");
  equal(text(bytes, p.willTopicOffset, p.willTopicLength), "dev/42/status", "will topic");
  sameBytes(bytes.subarray(p.willMessageOffset, p.willMessageOffset + p.willMessageLength), Uint8Array.of(9, 8), "will message");
  equal(text(bytes, p.userNameOffset, p.userNameLength), "ünïcode", "user name");
  sameBytes(bytes.subarray(p.passwordOffset, p.passwordOffset + p.passwordLength), password, "password");
});

run("connect-bad-arguments-refused", () => {
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodeConnect(b, 0, { clientId: "a", cleanSession: true, keepAlive: 1, password: "x" })), "password without user name");
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodeConnect(b, 0, { clientId: "", cleanSession: false, keepAlive: 1 })), "empty client id without clean session");
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodeConnect(b, 0, { clientId: "a", cleanSession: true, keepAlive: 65536 })), "keep alive 65536");
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodeConnect(b, 0, { clientId: "a", cleanSession: true, keepAlive: 1, will: { topic: "a/#", message: "" } })), "will topic with a wildcard");
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodeConnect(b, 0, { clientId: "a", cleanSession: true, keepAlive: 1, will: { topic: "a", message: "", qos: 3 } })), "will QoS 3");
});

run("connect-malformed-refused", () => {
  const good = "10 10 00 04 4d 51 54 54 04 02 00 3c 00 04 64 65 76 31";
  decodes(hex(good), PACKET, "good CONNECT");
  refused(hex("10 12 00 06 4d 51 49 73 64 70 03 02 00 3c 00 04 64 65 76 31"), "Protocol Name", "MQIsdp (MQTT 3.1)");
  refused(hex("10 10 00 04 4d 51 54 54 05 02 00 3c 00 04 64 65 76 31"), "Protocol Level 5", "level 5");
  refused(hex("10 10 00 04 4d 51 54 54 04 03 00 3c 00 04 64 65 76 31"), "reserved flag", "reserved flag");
  refused(hex("10 10 00 04 4d 51 54 54 04 42 00 3c 00 04 64 65 76 31"), "Password without User Name", "password flag alone");
  refused(hex("10 10 00 04 4d 51 54 54 04 12 00 3c 00 04 64 65 76 31"), "without the Will Flag", "will QoS without will");
  refused(hex("10 10 00 04 4d 51 54 54 04 02 00 3c 00 09 64 65 76 31"), "Client Identifier runs past", "client id length past the end");
  refused(hex("10 11 00 04 4d 51 54 54 04 02 00 3c 00 04 64 65 76 31 00"), "after its last field", "a trailing byte");
  refused(hex("10 08 00 04 4d 51 54 54 04 02"), "too short", "no keep alive");
});

// ---- CONNACK ----

run("connack-accepted", () => {
  sameBytes(encoded((b) => encodeConnack(b, 0, false, 0)), hex("20 02 00 00"), "CONNACK bytes");
  decodes(hex("20 02 00 00"), PACKET, "CONNACK");
  equal(p.type, CONNACK, "type");
  equal(p.returnCode, CONNECTION_ACCEPTED, "return code");
  equal(p.sessionPresent, false, "session present");
  decodes(hex("20 02 01 00"), PACKET, "CONNACK with Session Present");
  equal(p.sessionPresent, true, "session present");
});

run("connack-return-codes-named", () => {
  const named: [number, string][] = [
    [CONNECTION_ACCEPTED, "Connection Accepted"],
    [CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION, "Connection Refused, unacceptable protocol version"],
    [CONNECTION_REFUSED_IDENTIFIER_REJECTED, "Connection Refused, identifier rejected"],
    [CONNECTION_REFUSED_SERVER_UNAVAILABLE, "Connection Refused, Server unavailable"],
    [CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD, "Connection Refused, bad user name or password"],
    [CONNECTION_REFUSED_NOT_AUTHORIZED, "Connection Refused, not authorized"],
  ];
  named.forEach(([code, name], i) => {
    equal(code, i, `code of ${name}`);
    decodes(Uint8Array.of(0x20, 2, 0, code), PACKET, `CONNACK ${code}`);
    equal(p.returnCode, code, "decoded return code");
    equal(connectReturnCodeName(code), name, `name of ${code}`);
  });
});

run("connack-bad-return-code-refused", () => {
  refused(hex("20 02 00 06"), "unknown Connect Return code 6", "return code 6");
  refused(hex("20 02 00 ff"), "unknown Connect Return code 255", "return code 255");
});

run("connack-bad-length-refused", () => {
  refused(hex("20 03 00 00 00"), "Remaining Length 3, must be 2", "CONNACK of 3");
  refused(hex("20 01 00"), "Remaining Length 1, must be 2", "CONNACK of 1");
});

run("connack-reserved-bits-refused", () => {
  refused(hex("20 02 02 00"), "reserved Connect Acknowledge Flags", "ack flags 02");
  refused(hex("21 02 00 00"), "fixed header flags 1", "fixed header flags 1");
  refused(hex("20 02 01 05"), "Session Present", "session present with a refusal");
});

// ---- PUBLISH ----

run("publish-qos0-bytes", () => {
  const bytes = encoded((b) => encodePublish(b, 0, "a/b", "hi", 0, false, false, 0));
  sameBytes(bytes, hex("30 07 00 03 61 2f 62 68 69"), "PUBLISH");
  equal(publishSize("a/b", 2, 0), 9, "publishSize");
  decodes(bytes, PACKET, "PUBLISH");
  equal(p.type, PUBLISH, "type");
  equal(p.qos, 0, "qos");
  equal(p.packetId, 0, "no packet id");
  equal(text(bytes, p.topicOffset, p.topicLength), "a/b", "topic");
  equal(text(bytes, p.payloadOffset, p.payloadLength), "hi", "payload");
});

run("publish-qos1-dup-retain-bytes", () => {
  const bytes = encoded((b) => encodePublish(b, 0, "a/b", "hi", 1, true, true, 10));
  sameBytes(bytes, hex("3b 09 00 03 61 2f 62 00 0a 68 69"), "PUBLISH");
  decodes(bytes, PACKET, "PUBLISH");
  equal(p.qos, 1, "qos");
  equal(p.dup, true, "dup");
  equal(p.retain, true, "retain");
  equal(p.packetId, 10, "packet id");
  equal(p.payloadLength, 2, "payload length");
});

run("publish-roundtrip-utf8-topic-binary-payload", () => {
  const topic = "température/€/𝄞";
  const payload = new Uint8Array(256);
  for (let i = 0; i < 256; i++) payload[i] = i;
  const bytes = encoded((b) => encodePublish(b, 0, topic, payload, 1, false, false, 65535));
  equal(utf8Length(topic), 21, "UTF-8 length of the topic");
  // Remaining Length 2 + 21 + 2 + 256 = 281: two bytes, 99 02.
  sameBytes(bytes.subarray(0, 5), hex("32 99 02 00 15"), "fixed header and topic length");
  decodes(bytes, PACKET, "PUBLISH");
  equal(p.headerSize, 3, "header size");
  equal(text(bytes, p.topicOffset, p.topicLength), topic, "topic");
  equal(p.packetId, 65535, "packet id");
  sameBytes(bytes.subarray(p.payloadOffset, p.payloadOffset + p.payloadLength), payload, "payload");
});

run("publish-text-payload-may-hold-u0000", () => {
  // Only MQTT strings exclude U+0000; a payload is bytes, and text given for it is sent as UTF-8, NUL and all.
  sameBytes(encoded((b) => encodePublish(b, 0, "t", "a\u0000é", 0, false, false, 0)), hex("30 07 00 01 74 61 00 c3 a9"), "PUBLISH");
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodePublish(b, 0, "t", "\udc00", 0, false, false, 0)), "a lone surrogate has no UTF-8");
});

run("publish-empty-payload", () => {
  const bytes = encoded((b) => encodePublish(b, 0, "t", new Uint8Array(0), 0, false, false, 0));
  sameBytes(bytes, hex("30 03 00 01 74"), "PUBLISH");
  decodes(bytes, PACKET, "PUBLISH");
  equal(p.payloadLength, 0, "payload length");
});

run("publish-bad-arguments-refused", () => {
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodePublish(b, 0, "a/+", "x", 0, false, false, 0)), "+ in a topic name");
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodePublish(b, 0, "a/#", "x", 0, false, false, 0)), "# in a topic name");
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodePublish(b, 0, "", "x", 0, false, false, 0)), "empty topic");
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodePublish(b, 0, "a\u0000b", "x", 0, false, false, 0)), "U+0000 in a topic");
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodePublish(b, 0, "a\ud800", "x", 0, false, false, 0)), "lone surrogate");
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodePublish(b, 0, "a", "x", 3, false, false, 1)), "QoS 3");
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodePublish(b, 0, "a", "x", 1, false, false, 0)), "QoS 1 with packet id 0");
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodePublish(b, 0, "a", "x", 0, false, true, 0)), "DUP at QoS 0");
});

run("publish-malformed-refused", () => {
  refused(hex("36 05 00 01 61 00 01"), "QoS 3", "QoS 3");
  refused(hex("38 04 00 01 61 62"), "DUP set at QoS 0", "DUP at QoS 0");
  refused(hex("32 05 00 01 61 00 00"), "Packet Identifier 0", "packet id 0");
  refused(hex("30 04 00 02 61 23"), "wildcard", "# in the topic");
  refused(hex("30 04 00 02 2b 61"), "wildcard", "+ in the topic");
  refused(hex("30 02 00 00"), "empty Topic Name", "empty topic");
  refused(hex("30 04 00 02 c0 af"), "not MQTT UTF-8", "overlong UTF-8");
  refused(hex("30 04 00 02 61 00"), "not MQTT UTF-8", "U+0000");
  refused(hex("30 05 00 03 ed a0 80"), "not MQTT UTF-8", "a surrogate in UTF-8");
  refused(hex("30 05 00 c8 61 62 63"), "runs past", "topic length past the packet");
  refused(hex("32 04 00 01 61 00"), "Packet Identifier", "packet id cut off");
  refused(hex("30 01 00"), "too short", "no topic length");
});

// ---- PUBACK, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK ----

run("puback-bytes-and-decode", () => {
  const bytes = encoded((b) => encodePuback(b, 0, 0x1234));
  sameBytes(bytes, hex("40 02 12 34"), "PUBACK");
  decodes(bytes, PACKET, "PUBACK");
  equal(p.type, PUBACK, "type");
  equal(p.packetId, 0x1234, "packet id");
});

run("puback-malformed-refused", () => {
  refused(hex("40 03 00 01 00"), "Remaining Length 3, must be 2", "PUBACK of 3");
  refused(hex("41 02 00 01"), "fixed header flags 1", "PUBACK flags");
  refused(hex("40 02 00 00"), "Packet Identifier 0", "PUBACK id 0");
});

run("subscribe-bytes-and-roundtrip", () => {
  const bytes = encoded((b) => encodeSubscribe(b, 0, 1, [{ topic: "a/#", qos: 1 }, { topic: "b/+", qos: 0 }]));
  sameBytes(bytes, hex("82 0e 00 01 00 03 61 2f 23 01 00 03 62 2f 2b 00"), "SUBSCRIBE");
  decodes(bytes, PACKET, "SUBSCRIBE");
  equal(p.type, SUBSCRIBE, "type");
  equal(p.packetId, 1, "packet id");
  equal(p.count, 2, "filters");
});

run("subscribe-malformed-refused", () => {
  refused(hex("80 08 00 01 00 03 61 2f 23 01"), "fixed header flags 0, must be 2", "SUBSCRIBE flags 0");
  refused(hex("82 02 00 01"), "without a Topic Filter", "no filters");
  refused(hex("82 08 00 01 00 03 61 2f 23 03"), "Requested QoS byte 3", "QoS 3");
  refused(hex("82 08 00 01 00 03 61 2f 23 41"), "reserved bits", "reserved bits set");
  refused(hex("82 07 00 01 00 03 61 2f 23"), "without its Requested QoS", "no QoS byte");
  refused(hex("82 07 00 01 00 02 61 23 01"), "misplaced wildcard", "a#");
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodeSubscribe(b, 0, 1, [{ topic: "a/#/b", qos: 0 }])), "encode a/#/b");
  throwsCode("MQTT_BAD_ARGUMENT", () => encoded((b) => encodeSubscribe(b, 0, 1, [])), "encode no filters");
});

run("suback-granted-and-failure", () => {
  const bytes = encoded((b) => encodeSuback(b, 0, 1, [1, SUBACK_FAILURE]));
  sameBytes(bytes, hex("90 04 00 01 01 80"), "SUBACK");
  decodes(bytes, PACKET, "SUBACK");
  equal(p.type, SUBACK, "type");
  equal(p.count, 2, "return codes");
  equal(bytes[p.payloadOffset], 1, "granted QoS 1");
  equal(bytes[p.payloadOffset + 1], SUBACK_FAILURE, "0x80 Failure");
});

run("suback-malformed-refused", () => {
  refused(hex("90 03 00 01 03"), "return code 3", "return code 3");
  refused(hex("90 02 00 01"), "needs a Packet Identifier and a return code", "no return code");
});

run("unsubscribe-and-unsuback", () => {
  const bytes = encoded((b) => encodeUnsubscribe(b, 0, 2, ["a/#"]));
  sameBytes(bytes, hex("a2 07 00 02 00 03 61 2f 23"), "UNSUBSCRIBE");
  decodes(bytes, PACKET, "UNSUBSCRIBE");
  equal(p.type, UNSUBSCRIBE, "type");
  equal(p.count, 1, "filters");
  const ack = encoded((b) => encodeUnsuback(b, 0, 2));
  sameBytes(ack, hex("b0 02 00 02"), "UNSUBACK");
  decodes(ack, PACKET, "UNSUBACK");
  equal(p.type, UNSUBACK, "type");
  equal(p.packetId, 2, "packet id");
  refused(hex("a0 05 00 02 00 01 61"), "must be 2", "UNSUBSCRIBE flags 0");
});

run("ping-and-disconnect", () => {
  sameBytes(encoded((b) => encodePingreq(b, 0)), hex("c0 00"), "PINGREQ");
  sameBytes(encoded((b) => encodePingresp(b, 0)), hex("d0 00"), "PINGRESP");
  sameBytes(encoded((b) => encodeDisconnect(b, 0)), hex("e0 00"), "DISCONNECT");
  equal(decodes(hex("c0 00"), PACKET, "PINGREQ").type, PINGREQ, "PINGREQ type");
  equal(decodes(hex("d0 00"), PACKET, "PINGRESP").type, PINGRESP, "PINGRESP type");
  equal(decodes(hex("e0 00"), PACKET, "DISCONNECT").type, DISCONNECT, "DISCONNECT type");
  refused(hex("d0 01 00"), "PINGRESP with Remaining Length 1, must be 0", "PINGRESP with a body");
});

// ---- Remaining Length, framing, limits ----

run("remaining-length-boundaries", () => {
  const cases: [number, string][] = [
    [0, "00"], [127, "7f"], [128, "80 01"], [16383, "ff 7f"], [16384, "80 80 01"],
    [2097151, "ff ff 7f"], [2097152, "80 80 80 01"], [MAX_REMAINING_LENGTH, "ff ff ff 7f"],
  ];
  const header = new Uint8Array(5);
  for (const [value, bytes] of cases) {
    header[0] = 0x30;
    const end = writeRemainingLength(header, 1, value);
    sameBytes(header.subarray(1, end), hex(bytes), `Remaining Length ${value}`);
    equal(remainingLengthSize(value), end - 1, `size of ${value}`);
    // Only the fixed header is held: the decoder reads the length and asks for the rest, allocating nothing for it.
    decodes(header.subarray(0, end), value === 0 ? BAD_PACKET : NEED_MORE, `header of ${value}`);
    if (value > 0) equal(p.size, end + value, `bytes needed for ${value}`);
  }
});

run("remaining-length-over-4-bytes-refused", () => {
  refused(hex("30 ff ff ff ff 01"), "longer than 4 bytes", "5-byte length");
  // Refused as soon as the 4th length byte says more follows, without waiting for a 5th.
  refused(hex("30 ff ff ff ff"), "longer than 4 bytes", "4th byte with its continuation bit");
  throwsCode("MQTT_PACKET_TOO_LARGE", () => remainingLengthSize(MAX_REMAINING_LENGTH + 1), "encoding 268,435,456");
});

run("truncated-needs-more", () => {
  const whole = encoded((b) => encodePublish(b, 0, "dev/t", "payload", 1, false, false, 7));
  for (let n = 0; n < whole.length; n++) {
    const status = decode(whole, 0, n, p);
    if (status !== NEED_MORE) throw new Error(`${n} of ${whole.length} bytes: ${STATUS[status]} ${p.reason}`);
    equal(p.size, n < 2 ? 0 : whole.length, `size known after ${n} bytes`);
  }
  decodes(whole, PACKET, "whole");
  // A length cut in the middle of the Remaining Length is "need more" too.
  equal(decode(hex("30 80"), 0, 2, p), NEED_MORE, "length cut after a continuation byte");
});

run("decoder-reads-only-the-length-given", () => {
  const buffer = new Uint8Array(32).fill(0xff);
  const n = encodePublish(buffer, 3, "x", "yz", 0, false, false, 0);
  equal(decode(buffer, 3, n - 1, p), NEED_MORE, "one byte short, with 0xff bytes after");
  equal(decode(buffer, 3, n, p), PACKET, "exact");
  equal(p.topicOffset, 3 + 2 + 2, "offsets are indexes into the buffer");
  equal(p.size, n, "size");
});

run("two-packets-in-one-buffer", () => {
  const buffer = new Uint8Array(64);
  let at = encodePuback(buffer, 0, 5);
  at += encodePublish(buffer, at, "t", "v", 0, false, false, 0);
  at += encodePingresp(buffer, at);
  let pos = 0;
  const types: number[] = [];
  while (pos < at) {
    equal(decode(buffer, pos, at - pos, p), PACKET, `packet at ${pos}`);
    types.push(p.type);
    pos += p.size;
  }
  equal(types.join(","), [PUBACK, PUBLISH, PINGRESP].join(","), "types in order");
});

run("oversize-refused-from-the-fixed-header", () => {
  // Remaining Length 16384 announced in 4 bytes: refused before a byte of the body is held.
  decodes(hex("30 80 80 01"), TOO_LARGE, "16 KiB PUBLISH with a 1 KiB maximum", 1024);
  equal(p.size, 16388, "announced size");
  check(p.reason.indexOf("exceeds the maximum packet size of 1024") >= 0, p.reason);
  const exact = hex("30 07 00 03 61 2f 62 68 69");
  decodes(exact, PACKET, "9 bytes with a maximum of 9", 9);
  decodes(exact, TOO_LARGE, "9 bytes with a maximum of 8", 8);
});

run("encode-into-too-small-buffer-refused", () => {
  const small = new Uint8Array(8);
  const message = throwsCode("MQTT_PACKET_TOO_LARGE", () => encodePublish(small, 0, "a/b", "hi", 0, false, false, 0), "9 bytes into 8");
  check(message.indexOf("does not fit") >= 0, message);
  throwsCode("MQTT_PACKET_TOO_LARGE", () => encodePuback(small, 6, 1), "PUBACK at offset 6 of 8");
});

run("unknown-packet-type-refused", () => {
  refused(hex("00 00"), "unknown packet type 0", "type 0");
  refused(hex("f0 00"), "unknown packet type 15", "type 15");
  // Refused from the first byte alone.
  equal(decode(hex("f0"), 0, 1, p), BAD_PACKET, "one byte of type 15");
});

run("topic-names-filters-and-utf8", () => {
  for (const f of ["#", "a/#", "+", "+/a/+", "a/+/b", "/", "a//b", "€/+"]) check(validTopicFilter(f), `${f} is a filter`);
  for (const f of ["", "a#", "a/#/b", "a+", "+a", "a/b+", "##"]) check(!validTopicFilter(f), `${f} is no filter`);
  check(validTopicName("a/b/c"), "a/b/c is a name");
  check(!validTopicName("a/+"), "a/+ is no name");
  check(validUTF8(hex("e2 82 ac f0 9d 84 9e"), 0, 7), "€ and 𝄞");
  check(!validUTF8(hex("e2 82"), 0, 2), "cut sequence");
  check(!validUTF8(hex("f4 90 80 80"), 0, 4), "past U+10FFFF");
  check(!validUTF8(hex("80"), 0, 1), "lone continuation byte");
});

run("decoder-is-total-on-random-and-mutated-bytes", () => {
  // 20,000 inputs: random bytes, and valid packets with one byte changed or cut short. decode() must answer one of
  // its four results for each, never throw, and a PACKET must lie inside what it was given.
  let x = 0x2545f491;
  const rnd = (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const valid = [
    encoded((b) => encodeConnect(b, 0, { clientId: "c", cleanSession: true, keepAlive: 5, userName: "u", password: "p", will: { topic: "w", message: "m" } })),
    encoded((b) => encodePublish(b, 0, "a/b", "payload", 1, true, false, 3)),
    encoded((b) => encodeSubscribe(b, 0, 9, [{ topic: "a/+", qos: 1 }, { topic: "#", qos: 0 }])),
    encoded((b) => encodeSuback(b, 0, 9, [0, 1, 0x80])),
    hex("20 02 01 00"), hex("40 02 00 05"), hex("d0 00"),
  ];
  const buffer = new Uint8Array(64);
  const seen = [0, 0, 0, 0];
  for (let i = 0; i < 20000; i++) {
    let length: number;
    if (i & 1) {
      length = 1 + rnd(buffer.length);
      for (let k = 0; k < length; k++) buffer[k] = rnd(256);
    } else {
      const v = valid[rnd(valid.length)]!;
      buffer.set(v);
      buffer[rnd(v.length)] = rnd(256);
      length = 1 + rnd(v.length);
    }
    const status = decode(buffer, 0, length, p, 48);
    seen[status]!++;
    if (status === PACKET) check(p.size >= 2 && p.size <= length, `a packet of ${p.size} bytes from ${length}`);
    if (status === BAD_PACKET || status === TOO_LARGE) check(p.reason.length > 0, "a refusal without a reason");
  }
  check(seen[NEED_MORE]! > 0 && seen[PACKET]! > 0 && seen[BAD_PACKET]! > 0 && seen[TOO_LARGE]! > 0, `results ${seen.join(",")}`);
});

trace("done\n");
