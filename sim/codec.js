// The bridge's message codec, Node side (the XS side is in hosts/sim/runtime.js):
//   [header length: u16 BE][header: JSON, UTF-8][payload: the rest, raw bytes]
// A call's reply whose header has `error` is a failure: the XS side throws an Error with that message.

export function encode(header, payload) {
  const head = Buffer.from(JSON.stringify(header));
  if (head.length > 0xffff) throw new Error("bridge: header too large");
  const size = Buffer.alloc(2);
  size.writeUInt16BE(head.length);
  return payload && payload.length ? Buffer.concat([size, head, payload]) : Buffer.concat([size, head]);
}

export function decode(bytes) {
  const length = bytes.readUInt16BE(0);
  const header = JSON.parse(bytes.subarray(2, 2 + length).toString());
  const payload = bytes.length > 2 + length ? bytes.subarray(2 + length) : undefined;
  return { header, payload };
}
