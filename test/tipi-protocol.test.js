// The TIPI wire format, decoded in XS (tipi/protocol), one number table for both ends (tipi/wire, loaded by the host
// as it is), and the handle state table (tipi/states): plain functions, run as cranks on a simulator of their own.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as wire from "../client/wire.js";
import * as client from "../client/tipi-client.js";
import { manifestDefaults, MANIFEST } from "../client/tipi-sim.js";
import { Simulator } from "../sim/simulator.js";

const codec = await Simulator.start({ manifest: MANIFEST });

test("protocol: decodeFrame tells 'need more bytes' from a frame over the maximum", async () => {
  const { result } = await codec.crank(`
    const P = importNow("tipi/protocol");
    const b = new Uint8Array([0x00, 0x05, 0x24, 0x00, 0x04, 0x10, 0x00, 0x13, 0x88]);
    return [P.decodeFrame(b, 0, 0, 4096), P.decodeFrame(b, 0, 1, 4096), P.decodeFrame(b, 0, 6, 4096),
      P.decodeFrame(b, 0, 7, 4096), P.decodeFrame(b, 7, 2, 4096), P.frameLength(b, 7), P.decodeFrame(b, 0, 7, 4)];`);
  assert.equal(result, [-1, -1, -1, 5, -2, 5000, -2]);
});

test("protocol: decodeRequest names every malformed request and decodes the good ones", async () => {
  const cases = {
    empty: "", extension: "2500040010", truncated2: "2400", command: "240007", closeTrailing: "24000200",
    readShort: "24000401", readLong: "240004010000", openEmpty: "240001",
    noPort: Buffer.from("240001", "hex").toString("hex") + Buffer.from("localhost").toString("hex"),
    emptyPort: "240001" + Buffer.from("localhost:").toString("hex"),
    port0: "240001" + Buffer.from("h:0").toString("hex"),
    port65536: "240001" + Buffer.from("h:65536").toString("hex"),
    portText: "240001" + Buffer.from("h:44a").toString("hex"),
    emptyHost: "240001" + Buffer.from(":443").toString("hex"),
    spaceHost: "240001" + Buffer.from("a b:443").toString("hex"),
    longHost: "240001" + Buffer.from(`${"a".repeat(254)}:443`).toString("hex"),
    open: "240701" + Buffer.from("example.com:443").toString("hex"),
    write: "24090348454c4c4f", read: "2403040800", close: "24ff02",
  };
  const { result } = await codec.crank(`
    const P = importNow("tipi/protocol");
    const out = {};
    const r = new P.Request();
    for (const [name, hex] of Object.entries(${JSON.stringify(cases)})) {
      const b = new Uint8Array(hex.length / 2);
      for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.substr(i * 2, 2), 16);
      const s = P.decodeRequest(b, b.length, b.length, r, 253);
      out[name] = s === P.OK ? [r.handle, r.command, r.hostLength, r.port, r.size, r.dataOffset, r.dataLength] : P.describe(s);
    }
    return out;`);
  assert.equal(result, {
    empty: "empty message", extension: "unknown extension", truncated2: "truncated message", command: "unknown command",
    closeTrailing: "bytes after the end of the request", readShort: "truncated message",
    readLong: "bytes after the end of the request", openEmpty: "truncated message",
    noPort: "open without a port (want \"hostname:port\")", emptyPort: "open without a port (want \"hostname:port\")",
    port0: "port is not a number from 1 to 65535", port65536: "port is not a number from 1 to 65535",
    portText: "port is not a number from 1 to 65535", emptyHost: "hostname empty or not printable ASCII",
    spaceHost: "hostname empty or not printable ASCII", longHost: "hostname longer than the cap",
    open: [7, 1, 11, 443, 0, 0, 0], write: [9, 3, 0, 0, 0, 3, 5], read: [3, 4, 0, 0, 0x800, 0, 0], close: [255, 2, 0, 0, 0, 0, 0],
  });
});

test("protocol: checkRequestStart lets a stream in only when its first 5 bytes start a request", async () => {
  const cases = {
    read: "0005240004", open: "0010240a01", write: "0003240003", close: "0003240002",
    short: "000524", clientHello: "1603010200", overLong: "1001240004", underLong: "0002240004",
    otherExtension: "0005250004", badCommand: "0005240009",
  };
  const { result } = await codec.crank(`
    const P = importNow("tipi/protocol");
    const out = {};
    for (const [name, hex] of Object.entries(${JSON.stringify(cases)})) {
      const b = new Uint8Array(5);
      for (let i = 0; i < hex.length / 2; i++) b[i] = parseInt(hex.substr(i * 2, 2), 16);
      const s = P.checkRequestStart(b, hex.length / 2, 4096);
      out[name] = s === P.OK ? "ok" : P.describe(s);
    }
    return out;`);
  assert.equal(result, {
    read: "ok", open: "ok", write: "ok", close: "ok", short: "need more bytes",
    clientHello: "frame longer than maxFrame", overLong: "frame longer than maxFrame", underLong: "truncated message",
    otherExtension: "unknown extension", badCommand: "unknown command",
  });
});

test("wire: the host's numbers are the device's own (one file, modules/tipi/wire.ts, read by both)", async () => {
  const { result } = await codec.crank(`
    const W = importNow("tipi/wire");
    const P = importNow("tipi/protocol");
    const out = {};
    for (const name of Object.keys(W)) out[name] = W[name];
    out.protocolAgrees = ["EXTENSION_TLS", "OPEN", "CLOSE", "WRITE", "READ", "GOOD", "BAD", "FRAME_HEADER",
      "FRAME_LENGTH_MAX", "REQUEST_HEADER", "READ_LENGTH", "CLOSE_LENGTH", "PORT_DIGITS_MAX"].every((n) => P[n] === W[n]);
    return out;`);
  const { protocolAgrees, ...device } = result;
  assert.ok(protocolAgrees, "tipi/protocol re-exports tipi/wire's numbers");
  assert.equal({ ...wire }, device);
  for (const name of ["EXTENSION_TLS", "OPEN", "CLOSE", "WRITE", "READ", "GOOD", "BAD", "FRAME_HEADER", "FRAME_LENGTH_MAX"]) {
    assert.is(client[name], device[name], name);
  }
  assert.is(client.DEFAULTS.maxFrame, device.DEFAULTS.maxFrame);
  assert.ok(client.DEFAULTS.openTimeout > device.DEFAULTS.connectTimeout, "the host waits longer than the device tries");
  assert.ok(client.DEFAULTS.writeTimeout > device.DEFAULTS.writeTimeout);
});

test("wire: the manifest's documented config.tipi defaults are the code's", () => {
  const manifest = manifestDefaults();
  for (const [key, value] of Object.entries(wire.DEFAULTS)) assert.is(manifest[key], value, key);
});

test("states: the handle table allows exactly the transitions drawn in tipi/states", async () => {
  const { result } = await codec.crank(`
    const T = importNow("tipi/states");
    const out = [];
    for (let from = 0; from < T.NAMES.length; from++)
      for (let to = 0; to < T.NAMES.length; to++) if (T.allowed(from, to)) out.push(T.stateName(from) + " -> " + T.stateName(to));
    out.push(String(T.allowed(9, 0)), String(T.allowed(0, 9)));
    return out;`);
  await codec.close();
  assert.equal(result, [
    "FREE -> OPENING",
    "OPENING -> FREE", "OPENING -> OPEN",
    "OPEN -> FREE", "OPEN -> WRITING", "OPEN -> CLOSING", "OPEN -> ENDED",
    "WRITING -> FREE", "WRITING -> OPEN", "WRITING -> ENDED",
    "CLOSING -> FREE",
    "ENDED -> FREE",
    "false", "false",
  ]);
});

test.run();
