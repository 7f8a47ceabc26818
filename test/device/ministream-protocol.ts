// Device-side cases for ministream/protocol: the seed's conversations encoded byte for byte, decoding that tells
// "need more bytes" from "bad frame" at every prefix, and the rules on ids, types and payload sizes. Runs inside XS
// at module top level; one "ok <name>" / "not ok <name> <why>" line per case, then "done".
import {
  C2S_SEND_DATA, C2S_SYN, C2S_CLOSE, C2S_WINDOW, S2C_SEND_DATA, S2C_ACK, S2C_CLOSE, S2C_WINDOW, CHAFF,
  FRAME_HEADER, FRAME_NEED_MORE, FRAME_BAD, CHAFF_FRAME, INITIAL_WINDOW, MAX_PAYLOAD, MAX_WINDOW,
  newHeader, newMessage, decodeHeader, decodeMessage, checkMessage, decodeAckPayload, decodeWindowPayload,
  encodeHeader, encodeSyn, encodeAck, encodeClose, encodeWindow, encodeData, encodeChaff,
  isClientToServer, isServerToClient, isValidId, typeName,
} from "ministream/protocol";
import { report, check, equal, hex, sameBytes, throwsCode } from "./ministream/check";

// A 32-byte public key (a Tox key's size) standing for the seed's "key...".
const KEY = hex("01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20");
const DATA = hex("48 54 54 50 2f 31 2e 30 20 32 30 30 20 4f 4b"); // "HTTP/1.0 200 OK"
const out = new Uint8Array(256);

function encoded(size: number): Uint8Array {
  return out.slice(0, size);
}

/** LENGTH (2 bytes BE) + the seed's message bytes. */
function framed(message: string): Uint8Array<ArrayBuffer> {
  const m = hex(message);
  const f = new Uint8Array(2 + m.length);
  f[0] = m.length >> 8;
  f[1] = m.length & 0xff;
  f.set(m, 2);
  return f;
}

const keyHex = "01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20";
const dataHex = "48 54 54 50 2f 31 2e 30 20 32 30 30 20 4f 4b";

report("types-carry-the-seeds-values", () => {
  equal(C2S_SEND_DATA, 0xa0, "C2S_SEND_DATA");
  equal(C2S_SYN, 0xa1, "C2S_SYN");
  equal(C2S_CLOSE, 0xa2, "C2S_CLOSE");
  equal(S2C_SEND_DATA, 0x50, "S2C_SEND_DATA");
  equal(S2C_ACK, 0x51, "S2C_ACK");
  equal(S2C_CLOSE, 0x52, "S2C_CLOSE");
  equal(C2S_WINDOW, 0xa3, "C2S_WINDOW in the client -> server range");
  equal(S2C_WINDOW, 0x53, "S2C_WINDOW in the server -> client range");
  equal(CHAFF, 0xff, "I2P's CHAFF");
  for (const t of [C2S_SEND_DATA, C2S_SYN, C2S_CLOSE, C2S_WINDOW]) check(isClientToServer(t) && !isServerToClient(t), typeName(t));
  for (const t of [S2C_SEND_DATA, S2C_ACK, S2C_CLOSE, S2C_WINDOW]) check(isServerToClient(t) && !isClientToServer(t), typeName(t));
});

report("seed-conversation-a-bytes", () => {
  // C->S A1 12 34 56 key... (SYN)   S->C 52 12 34 56 (Close)
  sameBytes(encoded(encodeSyn(out, 0, 0x123456, KEY)), framed("a1 12 34 56 " + keyHex), "SYN");
  sameBytes(encoded(encodeClose(out, 0, S2C_CLOSE, 0x123456)), framed("52 12 34 56"), "Close");
});

report("seed-conversation-b-bytes", () => {
  sameBytes(encoded(encodeSyn(out, 0, 0x234567, KEY)), framed("a1 23 45 67 " + keyHex), "SYN");
  sameBytes(encoded(encodeAck(out, 0, 0x234567, 0x987654)), framed("51 23 45 67 98 76 54"), "ACK");
  sameBytes(encoded(encodeData(out, 0, S2C_SEND_DATA, 0x234567, DATA)), framed("50 23 45 67 " + dataHex), "data");
  sameBytes(encoded(encodeClose(out, 0, C2S_CLOSE, 0x987654)), framed("a2 98 76 54"), "Close");
});

report("seed-conversation-c-bytes-with-52-for-the-servers-close", () => {
  sameBytes(encoded(encodeSyn(out, 0, 0x111111, KEY)), framed("a1 11 11 11 " + keyHex), "SYN");
  sameBytes(encoded(encodeAck(out, 0, 0x111111, 0xffffff)), framed("51 11 11 11 ff ff ff"), "ACK");
  sameBytes(encoded(encodeData(out, 0, C2S_SEND_DATA, 0xffffff, DATA)), framed("a0 ff ff ff " + dataHex), "request");
  sameBytes(encoded(encodeData(out, 0, S2C_SEND_DATA, 0x111111, DATA)), framed("50 11 11 11 " + dataHex), "answer");
  // The seed prints `51 11 11 11` here: a typo for the Close type.
  sameBytes(encoded(encodeClose(out, 0, S2C_CLOSE, 0x111111)), framed("52 11 11 11"), "Close");
});

report("window-and-chaff-bytes", () => {
  sameBytes(encoded(encodeWindow(out, 0, C2S_WINDOW, 0x987654, 0x00fedcba)), framed("a3 98 76 54 00 fe dc ba"), "C2S_WINDOW");
  sameBytes(encoded(encodeWindow(out, 0, S2C_WINDOW, 0x234567, 1024)), framed("53 23 45 67 00 00 04 00"), "S2C_WINDOW");
  sameBytes(encoded(encodeChaff(out, 0)), hex("00 01 ff"), "CHAFF");
  equal(decodeWindowPayload(hex("ff ff ff ff"), 0), 0xffffffff, "u32 increment read unsigned");
  equal(INITIAL_WINDOW, 2048, "initial window");
});

report("decode-round-trip-every-type", () => {
  const m = newMessage();
  const cases: [number, number, Uint8Array][] = [
    [C2S_SEND_DATA, 0xffffff, DATA], [C2S_SYN, 0x000001, KEY], [C2S_CLOSE, 0x987654, new Uint8Array(0)],
    [S2C_SEND_DATA, 0x234567, DATA], [S2C_ACK, 0x234567, hex("98 76 54")], [S2C_CLOSE, 0x123456, new Uint8Array(0)],
    [C2S_WINDOW, 0x010203, hex("00 00 08 00")], [S2C_WINDOW, 0x010203, hex("00 00 08 00")],
  ];
  for (const [type, id, payload] of cases) {
    const size = encodeHeader(out, 3, type, id, payload.length);
    out.set(payload, 3 + size);
    const frame = FRAME_HEADER + payload.length;
    equal(decodeMessage(out, 3, frame, m), frame, typeName(type) + " size");
    equal(m.type, type, typeName(type) + " type");
    equal(m.id, id, typeName(type) + " id");
    equal(m.payload, payload.length, typeName(type) + " payload length");
    equal(m.payloadOffset, 3 + FRAME_HEADER, typeName(type) + " payload offset");
    sameBytes(out.subarray(m.payloadOffset, m.payloadOffset + m.payload), payload, typeName(type) + " payload");
    equal(checkMessage(type, id, payload.length, 512), "", typeName(type) + " allowed");
  }
  encodeAck(out, 0, 0x234567, 0x987654);
  equal(decodeAckPayload(out, FRAME_HEADER), 0x987654, "ACK payload");
});

report("every-proper-prefix-needs-more-bytes", () => {
  const frame = framed("a1 23 45 67 " + keyHex);
  const m = newMessage();
  const h = newHeader();
  for (let n = 0; n < frame.length; n++) {
    equal(decodeMessage(frame, 0, n, m), FRAME_NEED_MORE, "message prefix of " + n);
    if (n < FRAME_HEADER) equal(decodeHeader(frame, 0, n, h), FRAME_NEED_MORE, "header prefix of " + n);
  }
  equal(decodeHeader(frame, 0, FRAME_HEADER, h), FRAME_HEADER, "header with 6 bytes");
  equal(decodeMessage(frame, 0, frame.length, m), frame.length, "whole frame");
});

report("decoder-reads-only-the-available-bytes", () => {
  // The view holds a whole frame, but only 9 bytes are said to be there: still need-more, never past available.
  const frame = framed("50 23 45 67 " + dataHex);
  const m = newMessage();
  equal(decodeMessage(frame, 0, 9, m), FRAME_NEED_MORE, "9 of " + frame.length);
  equal(decodeMessage(frame, 0, frame.length, m), frame.length, "all");
});

report("length-0-is-a-bad-frame-of-2-bytes", () => {
  const h = newHeader();
  equal(decodeHeader(hex("00 00 a1 12"), 0, 4, h), FRAME_BAD, "LENGTH 0");
  equal(h.frame, 2, "skip 2 bytes");
  check(h.reason.length > 0, "a reason");
});

report("truncated-messages-are-bad-frames-of-their-length", () => {
  const h = newHeader();
  for (const [bytes, frame] of [["00 01 a1", 3], ["00 02 a1 12", 4], ["00 03 50 12 34", 5], ["00 01 50", 3]] as [string, number][]) {
    equal(decodeHeader(hex(bytes), 0, frame, h), FRAME_BAD, bytes);
    equal(h.frame, frame, bytes + " frame size");
    check(h.reason.indexOf("truncated") >= 0, bytes + " reason: " + h.reason);
  }
  equal(decodeHeader(hex("00 02"), 0, 2, h), FRAME_NEED_MORE, "LENGTH 2 without its type yet");
});

report("chaff-is-a-3-byte-frame", () => {
  const h = newHeader();
  equal(decodeHeader(hex("00 01 ff"), 0, 3, h), CHAFF_FRAME, "CHAFF");
  equal(h.type, CHAFF, "type");
  equal(checkMessage(CHAFF, 0, 0, 512), "", "allowed");
});

report("the-reserved-id-is-refused", () => {
  throwsCode("RangeError", () => encodeSyn(out, 0, 0, KEY), "SYN with id 0");
  throwsCode("RangeError", () => encodeAck(out, 0, 0x123456, 0), "ACK with server id 0");
  throwsCode("RangeError", () => encodeAck(out, 0, 0, 0x123456), "ACK to client id 0");
  throwsCode("RangeError", () => encodeClose(out, 0, C2S_CLOSE, 0), "Close with id 0");
  throwsCode("RangeError", () => encodeHeader(out, 0, S2C_SEND_DATA, 0x1000000, 1), "id past 3 bytes");
  check(!isValidId(0) && !isValidId(-1) && !isValidId(0x1000000) && !isValidId(1.5), "isValidId refuses");
  check(isValidId(1) && isValidId(0xffffff), "isValidId allows 1 and ff ff ff");
  for (const type of [C2S_SEND_DATA, C2S_SYN, C2S_CLOSE, S2C_SEND_DATA, S2C_ACK, S2C_CLOSE, C2S_WINDOW, S2C_WINDOW]) {
    check(checkMessage(type, 0, type === S2C_ACK ? 3 : type === C2S_WINDOW || type === S2C_WINDOW ? 4 : type === C2S_SYN ? 32 : 0, 512).indexOf("00 00 00") >= 0, typeName(type) + " with id 0");
  }
  // The decoder reports the id as it is: refusing it is checkMessage's (and the tunnel's) job.
  const h = newHeader();
  equal(decodeHeader(hex("00 04 52 00 00 00"), 0, 6, h), FRAME_HEADER, "decodes");
  equal(h.id, 0, "id 0 reported");
});

report("payload-sizes-are-checked-per-type", () => {
  const bad: [number, number, string][] = [
    [C2S_SYN, 0, "without a public key"], [C2S_SYN, 513, "513-byte key"],
    [S2C_ACK, 0, "0-byte payload"], [S2C_ACK, 2, "2-byte payload"], [S2C_ACK, 4, "4-byte payload"],
    [C2S_CLOSE, 1, "1-byte payload"], [S2C_CLOSE, 3, "3-byte payload"],
    [C2S_WINDOW, 3, "3-byte payload"], [S2C_WINDOW, 5, "5-byte payload"],
  ];
  for (const [type, payload, words] of bad) {
    const why = checkMessage(type, 0x123456, payload, 512);
    check(why.indexOf(words) >= 0, `${typeName(type)} with ${payload}: "${why}"`);
  }
  equal(checkMessage(C2S_SYN, 0x123456, 512, 512), "", "a key of maxKey");
  equal(checkMessage(S2C_SEND_DATA, 0x123456, 0, 512), "", "empty data");
});

report("unknown-types-are-refused-with-their-range", () => {
  check(checkMessage(0x77, 0x123456, 0, 512).indexOf("neither") >= 0, "0x77 is in neither range");
  check(checkMessage(0x00, 0x123456, 0, 512).indexOf("neither") >= 0, "0x00");
  check(checkMessage(0xa7, 0x123456, 0, 512).indexOf("unknown") >= 0, "0xA7 in the client range, unknown");
  check(checkMessage(0x5f, 0x123456, 0, 512).indexOf("unknown") >= 0, "0x5F in the server range, unknown");
  equal(typeName(0xa7), "type a7", "name of an unknown type");
});

report("encoders-refuse-what-cannot-be-sent", () => {
  throwsCode("RangeError", () => encodeHeader(out, 0, 0x77, 0x123456, 0), "unknown type");
  throwsCode("RangeError", () => encodeHeader(new Uint8Array(70000), 0, S2C_SEND_DATA, 1, MAX_PAYLOAD + 1), "payload past LENGTH");
  throwsCode("RangeError", () => encodeHeader(out, 252, S2C_SEND_DATA, 1, 0), "no room for a header");
  throwsCode("RangeError", () => encodeSyn(out, 0, 1, new Uint8Array(0)), "SYN without a key");
  throwsCode("RangeError", () => encodeSyn(out, 0, 1, new Uint8Array(300)), "SYN larger than the view");
  throwsCode("RangeError", () => encodeClose(out, 0, S2C_ACK, 1), "Close with another type");
  throwsCode("RangeError", () => encodeWindow(out, 0, C2S_WINDOW, 1, 0), "window of 0");
  throwsCode("RangeError", () => encodeWindow(out, 0, C2S_WINDOW, 1, MAX_WINDOW + 1), "window past MAX_WINDOW");
  throwsCode("RangeError", () => encodeData(out, 0, S2C_ACK, 1, DATA), "data with another type");
  equal(encodeHeader(new Uint8Array(70000), 0, S2C_SEND_DATA, 1, MAX_PAYLOAD), FRAME_HEADER, "the largest payload");
});

report("a-stream-of-frames-decodes-in-step-across-bad-ones", () => {
  // Good, bad (LENGTH 2), CHAFF, good: skipping each frame by its size keeps the reader in step.
  const parts = [framed("51 23 45 67 98 76 54"), hex("00 02 a1 12"), hex("00 01 ff"), framed("52 12 34 56")];
  let total = 0;
  for (const p of parts) total += p.length;
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  const m = newMessage();
  const seen: string[] = [];
  at = 0;
  while (at < all.length) {
    const r = decodeMessage(all, at, all.length - at, m);
    check(r !== FRAME_NEED_MORE, "need more at " + at);
    seen.push(r === FRAME_BAD ? "bad" : typeName(m.type));
    at += m.frame;
  }
  equal(seen.join(","), "S2C_ACK,bad,CHAFF,S2C_CLOSE", "frames seen");
});

trace("done\n");
