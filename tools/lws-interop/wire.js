// The serialized Secure Streams wire as ../shared/peers.md records it for libwebsockets v4.4.5, for the interop run:
// a TCP man-in-the-middle that keeps every chunk of a link in order (client -> proxy, proxy -> client, and who closed
// first), a splitter of those bytes into frames ([type:1][len:2 big-endian][body]), and peers.md's table of one raw
// stream's life as patterns to hold a capture against (fields that differ per run are masked: pid, latency, time).
import net from "node:net";

const NAMES = {
  0x55: "RX_PAYLOAD", 0x56: "CREATE_RESULT", 0x57: "CONNSTATE", 0x58: "TXCR_UPDATE(rx)", 0x59: "METADATA(rx)",
  0x5a: "TXCR_UPDATE(tx)", 0x5b: "PERF", 0xaa: "STREAMTYPE", 0xab: "ONWARD_CONNECT", 0xac: "DESTROYING",
  0xad: "TX_PAYLOAD", 0xae: "METADATA", 0xaf: "TXCR_UPDATE", 0xb0: "TIMEOUT_UPDATE", 0xb1: "PAYLOAD_LENGTH_HINT",
};
const STATES = { 1: "CREATING", 2: "DISCONNECTED", 3: "UNREACHABLE", 5: "CONNECTED", 6: "CONNECTING", 7: "DESTROYING",
  8: "POLL", 10: "QOS_ACK_REMOTE", 11: "QOS_NACK_REMOTE" };

export const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");

/** A MITM on 127.0.0.1 (port 0: any) in front of `target` ({ port } or { path }); links[i].events in order. */
export function startMitm(target) {
  const links = [];
  const t0 = process.hrtime.bigint();
  const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
  const sockets = new Set();
  const server = net.createServer((c) => {
    const link = { events: [] };
    links.push(link);
    const p = target.path ? net.connect({ path: target.path }) : net.connect(target.port, "127.0.0.1");
    for (const s of [c, p]) { sockets.add(s); s.on("close", () => sockets.delete(s)); }
    c.on("data", (d) => { link.events.push({ t: ms(), dir: "C->P", bytes: Buffer.from(d) }); p.write(d); });
    p.on("data", (d) => { link.events.push({ t: ms(), dir: "P->C", bytes: Buffer.from(d) }); c.write(d); });
    c.on("end", () => { link.events.push({ t: ms(), dir: "C->P", fin: true }); p.end(); });
    p.on("end", () => { link.events.push({ t: ms(), dir: "P->C", fin: true }); c.end(); });
    c.on("error", () => p.destroy());
    p.on("error", () => c.destroy());
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({
    port: server.address().port,
    links,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  })));
}

/** One link's events as frames, in the order they crossed: { dir, t, type, name, len, body, raw } or { dir, fin }. */
export function framesOf(link) {
  const pending = { "C->P": Buffer.alloc(0), "P->C": Buffer.alloc(0) };
  const out = [];
  for (const e of link.events) {
    if (e.fin) { out.push({ dir: e.dir, t: e.t, fin: true, rest: pending[e.dir].length }); continue; }
    let b = Buffer.concat([pending[e.dir], e.bytes]);
    while (b.length >= 3 && b.length >= 3 + b.readUInt16BE(1)) {
      const len = b.readUInt16BE(1);
      const raw = b.subarray(0, 3 + len);
      out.push({ dir: e.dir, t: e.t, type: raw[0], name: NAMES[raw[0]] ?? `0x${raw[0].toString(16)}`, len, body: raw.subarray(3), raw });
      b = b.subarray(3 + len);
    }
    pending[e.dir] = b;
  }
  return out;
}

/** A frame in words: "STREAMTYPE v1 pid 0x32fe credit 500000000 echo_raw", "CONNSTATE CONNECTED", ... */
export function describe(f) {
  if (f.fin) return `${f.dir} FIN (socket closed${f.rest ? `, ${f.rest} bytes of a partial frame before it` : ""})`;
  const b = f.body;
  let what = f.name;
  try {
    switch (f.type) {
      case 0xaa: what += ` v${b[0]} pid 0x${b.readUInt32BE(1).toString(16)} credit ${b.readUInt32BE(5)} "${b.subarray(9).toString("latin1")}"`; break;
      case 0x56: what += ` result ${b[0]}${b.length > 1 ? ` buflen ${b.readUInt32BE(1)} "${b.subarray(5).toString("latin1")}"` : ""}`; break;
      case 0x57: { const s = f.len === 5 ? b[0] : b.readUInt32BE(0); what += ` ${STATES[s] ?? s}`; break; }
      case 0x55: case 0xad:
        what += ` flags ${b.readUInt32BE(0)} latency ${b.readUInt32BE(4)} ts ${b.readBigUInt64BE(8)} payload ${b.length - 16} "${b.subarray(16).toString("latin1")}"`;
        break;
      case 0x59: case 0xae: what += ` ${b.subarray(1, 1 + b[0]).toString("latin1")}=${b.subarray(1 + b[0]).toString("latin1")}`; break;
      default: break;
    }
  } catch { what += " (malformed)"; }
  return `${f.dir} ${hex(f.raw.subarray(0, 3))} | ${hex(f.body)}   ${what}`;
}

/** The frame with the fields that differ per run masked (pid, latency, timestamp): what two runs can share. */
export function shape(f) {
  if (f.fin) return `${f.dir} FIN`;
  const b = Buffer.from(f.body);
  if (f.type === 0xaa && b.length >= 5) b.fill(0, 1, 5);
  if ((f.type === 0x55 || f.type === 0xad) && b.length >= 16) b.fill(0, 4, 16);
  return `${f.dir} ${hex(f.raw.subarray(0, 3))} | ${hex(b)}`;
}

/**
 * peers.md, "One stream's life on the wire" (raw echo_raw, payload P): each step a direction and a test on the
 * frame. Returns the differences (empty: the capture is the table). Frames not in the table (EVENT / PERF /
 * TXCR_UPDATE) are reported, not skipped.
 */
export function checkRawLife(frames, streamtype, payload) {
  const name = Buffer.from(streamtype, "latin1");
  const pl = Buffer.from(payload, "latin1");
  const u16 = (n) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
  const steps = [
    ["C->P", "STREAMTYPE v1, pid, credit 500000000, name (no NUL)", (f) => f.type === 0xaa && f.len === 9 + name.length &&
      f.body[0] === 1 && f.body.readUInt32BE(5) === 500000000 && f.body.subarray(9).equals(name)],
    ["P->C", "CREATE_RESULT 0, buflen 0, \",\" + name", (f) => f.raw.equals(Buffer.concat([Buffer.from([0x56]), u16(6 + name.length),
      Buffer.from([0, 0, 0, 0, 0, 0x2c]), name]))],
    ["P->C", "CONNSTATE CREATING", (f) => hex(f.raw) === "57 00 05 01 00 00 00 00"],
    ["C->P", "ONWARD_CONNECT", (f) => hex(f.raw) === "ab 00 00"],
    ["P->C", "CONNSTATE CONNECTING", (f) => hex(f.raw) === "57 00 05 06 00 00 00 00"],
    ["P->C", "CONNSTATE CONNECTED", (f) => hex(f.raw) === "57 00 05 05 00 00 00 00"],
    ["C->P", "TX_PAYLOAD flags SOM|EOM, latency, u64 timestamp, payload at 19", (f) => f.type === 0xad && f.len === 16 + pl.length &&
      f.body.readUInt32BE(0) === 3 && f.body.subarray(16).equals(pl)],
    ["P->C", "RX_PAYLOAD flags 0, latency 0, u64 timestamp, payload at 19", (f) => f.type === 0x55 && f.len === 16 + pl.length &&
      f.body.readUInt32BE(0) === 0 && f.body.readUInt32BE(4) === 0 && f.body.subarray(16).equals(pl)],
    ["C->P", "destroy: the client closes, no frame", (f) => f.fin === true],
  ];
  const diffs = [];
  const left = frames.slice();
  for (const [dir, what, ok] of steps) {
    const i = left.findIndex((f) => f.dir === dir);
    if (i < 0) { diffs.push(`missing ${dir} ${what}`); continue; }
    const f = left[i];
    if (!ok(f)) diffs.push(`${dir} ${what}: got ${f.fin ? "FIN" : hex(f.raw)}`);
    left.splice(i, 1);
  }
  for (const f of left) if (!(f.fin && f.dir === "P->C")) diffs.push(`not in the table: ${describe(f)}`);
  return diffs;
}
