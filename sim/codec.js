// The bridge's message codec, Node side (the XS side is in hosts/sim/runtime.js):
//   [header length: u16 BE][header: JSON, UTF-8][payload: the rest, raw bytes]
// A call's reply whose header has `error` is a failure: the XS side throws an Error with that message.

export function encode(header, payload) {
  const json = JSON.stringify(header);
  const size = Buffer.byteLength(json);
  if (size > 0xffff) throw new Error("bridge: header too large");
  const extra = payload ? payload.length : 0;
  const bytes = Buffer.allocUnsafe(2 + size + extra);
  bytes.writeUInt16BE(size, 0);
  bytes.write(json, 2);
  if (extra) bytes.set(payload, 2 + size);
  return bytes;
}

export function decode(bytes) {
  const length = bytes.readUInt16BE(0);
  const header = JSON.parse(bytes.subarray(2, 2 + length).toString());
  const payload = bytes.length > 2 + length ? bytes.subarray(2 + length) : undefined;
  return { header, payload };
}
