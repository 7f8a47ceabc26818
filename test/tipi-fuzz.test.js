// The TIPI TLS extension under random input: 10,000 frames from a seeded PRNG (garbage, near-misses of every
// request, over-long frames), sent in bursts cut at random points. Every frame must get exactly the reply an
// independent model of the wire rules predicts, every malformed one a log line; the device must not abort; a
// handle opened before the storm keeps its bytes; a normal open/write/read works after it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as S from "./support/servers.js";
import { startDevice } from "../client/tipi-sim.js";
import { TipiClient, frame } from "../client/tipi-client.js";

const SEED = Number(process.env.TIPI_FUZZ_SEED ?? 0x7195eed);
const FRAMES = 10000;
const MAX_FRAME = 4096;
const MAX_HOSTNAME = 253;
const KEEP = 7; // the handle the storm must not touch

/** mulberry32: a small seeded PRNG (uint32 state). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GOOD = Buffer.from([0xff]);
const BAD = Buffer.from([0x00]);
const EMPTY = Buffer.alloc(0);

/**
 * The wire rules, written again independently of modules/tipi/protocol.ts: what a device with no connection but
 * KEEP answers to `message`. { reply, malformed, open } (open: a well-formed open, which the generator only makes
 * to 127.0.0.1:1, refused at once).
 */
function model(message) {
  const malformed = { reply: BAD, malformed: true };
  if (message.length > MAX_FRAME || message.length < 3 || message[0] !== 0x24) return malformed;
  const command = message[2];
  if (command === 0x03) return { reply: BAD, malformed: false }; // write to a handle that is not open
  if (command === 0x02) return message.length === 3 ? { reply: GOOD, malformed: false } : malformed;
  if (command === 0x04) return message.length === 5 ? { reply: EMPTY, malformed: false } : malformed;
  if (command !== 0x01) return malformed;
  const text = message.subarray(3);
  if (text.length === 0 || text.length > MAX_HOSTNAME + 6) return malformed;
  const colon = text.lastIndexOf(0x3a);
  if (colon <= 0 || colon === text.length - 1 || colon > MAX_HOSTNAME) return malformed;
  for (let i = 0; i < colon; i++) if (text[i] <= 0x20 || text[i] >= 0x7f) return malformed;
  const port = text.subarray(colon + 1);
  if (port.length > 5 || !port.every((c) => c >= 0x30 && c <= 0x39)) return malformed;
  const number = Number(port.toString("latin1"));
  if (number < 1 || number > 65535) return malformed;
  return { reply: BAD, malformed: false, open: text.toString("latin1") };
}

function generator(random) {
  const int = (n) => Math.floor(random() * n);
  const bytes = (n) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const pick = (list) => list[int(list.length)];
  const printable = (n) => Buffer.from(Array.from({ length: n }, () => 0x21 + int(94)));
  const handle = () => int(256);
  const opens = [
    () => printable(1 + int(40)), // no port (maybe a colon inside: then a bad port)
    () => Buffer.concat([printable(1 + int(20)), Buffer.from(":")]),
    () => Buffer.from(`${pick(["localhost", "a", "x.example"])}:${pick(["0", "65536", "99999", "123456", "-1", "4a", " 80", "80 ", "+443", "0x50"])}`),
    () => Buffer.from(`${"h".repeat(MAX_HOSTNAME + 1 + int(60))}:443`),
    () => Buffer.concat([Buffer.from("ho"), Buffer.from([int(0x21)]), Buffer.from("st:443")]),
    () => Buffer.concat([Buffer.from("host"), Buffer.from([0x7f + int(0x81)]), Buffer.from(":443")]),
    () => Buffer.from(`:${1 + int(65535)}`),
    () => bytes(int(300)),
    () => Buffer.from("127.0.0.1:1"), // well formed: the connection is refused, the open answers [0]
  ];
  const kinds = [
    [25, () => bytes(int(65))], // garbage
    [20, () => Buffer.concat([Buffer.from([0x24, handle(), int(256)]), bytes(int(17))])], // any command
    [10, () => pick([EMPTY, Buffer.from([0x24]), Buffer.from([0x24, handle()]),
      Buffer.from([0x24, handle(), 0x04]), Buffer.from([0x24, handle(), 0x04, int(256)]),
      Buffer.concat([Buffer.from([0x24, handle(), 0x04]), bytes(3 + int(5))]),
      Buffer.concat([Buffer.from([0x24, handle(), 0x02]), bytes(1 + int(5))])])], // truncated / trailing
    [15, () => Buffer.concat([Buffer.from([0x24, handle(), 0x01]), pick(opens)()])],
    [20, () => pick([
      Buffer.from([0x24, handle(), 0x04, int(256), int(256)]),
      Buffer.from([0x24, handle(), 0x02]),
      Buffer.concat([Buffer.from([0x24, handle(), 0x03]), bytes(int(200))]),
    ])], // well formed, on handles that are not open
    [8, () => bytes(int(MAX_FRAME + 1))], // any length up to the maximum
    [2, () => bytes(MAX_FRAME + 1 + int(3000))], // over the maximum
  ];
  const total = kinds.reduce((sum, [weight]) => sum + weight, 0);
  return () => {
    for (;;) {
      let r = int(total);
      let message;
      for (const [weight, make] of kinds) {
        if (r < weight) { message = make(); break; }
        r -= weight;
      }
      if (message.length >= 2 && message.length <= MAX_FRAME && message[0] === 0x24 && message[1] === KEEP) {
        message[1] = KEEP + 1;
      }
      const expected = model(message);
      if (expected.open !== undefined && expected.open !== "127.0.0.1:1") continue; // never reach out to the world
      return { message, expected };
    }
  };
}

test(`fuzz: ${FRAMES} random frames (seed ${SEED}) each get the predicted reply; the device carries on`, async () => {
  const lines = [];
  const device = await startDevice({ onTrace: (line) => lines.push(line) });
  const echo = await S.tlsEcho();
  const tipi = await TipiClient.connect(device.link, { timeout: 20000 });
  try {
    assert.ok(await tipi.open(KEEP, `localhost:${echo.port}`));
    assert.ok(await tipi.write(KEEP, "bytes from before the storm"));

    const random = prng(SEED);
    const next = generator(random);
    const startLine = lines.length;
    let malformed = 0;
    let overLong = 0;
    let sent = 0;
    const started = Date.now();
    while (sent < FRAMES) {
      const burst = [];
      const size = Math.min(FRAMES - sent, 1 + Math.floor(random() * 200));
      for (let i = 0; i < size; i++) burst.push(next());
      const bytes = Buffer.concat(burst.map(({ message }) => {
        if (message.length <= 0xffff) return frame(message);
        throw new Error("generator made an unframeable message");
      }));
      const replies = tipi.raw(EMPTY, burst.length); // expect the replies first, then send in random pieces
      for (let at = 0; at < bytes.length;) {
        const piece = 1 + Math.floor(random() * (random() < 0.2 ? 8 : 3000));
        await tipi.raw(bytes.subarray(at, at + piece), 0);
        at += piece;
      }
      const got = await replies;
      for (let i = 0; i < burst.length; i++) {
        const { message, expected } = burst[i];
        if (!got[i].equals(expected.reply)) {
          assert.unreachable(`frame ${sent + i} (${message.length} bytes, ${message.subarray(0, 16).toString("hex")}): ` +
            `reply ${got[i].toString("hex") || "(empty)"}, expected ${expected.reply.toString("hex") || "(empty)"}`);
        }
        if (expected.malformed) malformed++;
        if (message.length > MAX_FRAME) overLong++;
      }
      sent += burst.length;
    }
    const ms = Date.now() - started;
    console.log(`    ${sent} frames (${malformed} malformed, ${overLong} over maxFrame) in ${ms} ms`);
    assert.ok(malformed > FRAMES / 2 && overLong > 50, "the mix covers the bad inputs");
    const logged = lines.slice(startLine).filter((l) => /^tipi: (bad request \(|frame of \d+ bytes is longer)/.test(l));
    assert.is(logged.length, malformed, "one log line per malformed frame");
    assert.is(tipi.unexpected, 0, "no reply without a request");

    // the device is whole: the kept handle's bytes, a round trip on it, a fresh open/write/read
    const deadline = Date.now() + 10000;
    const readSome = async (handle, have) => {
      if (Date.now() > deadline) throw new Error(`read ${handle}: only ${have.length} bytes`);
      const chunk = await tipi.read(handle, 100);
      if (!chunk.length) await new Promise((resolve) => setTimeout(resolve, 5));
      return Buffer.concat([have, chunk]);
    };
    let kept = EMPTY;
    while (kept.length < 27) kept = await readSome(KEEP, kept);
    assert.is(kept.toString(), "bytes from before the storm");
    assert.ok(await tipi.open(9, `localhost:${echo.port}`));
    assert.ok(await tipi.write(9, "after the storm"));
    let back = EMPTY;
    while (back.length < 15) back = await readSome(9, back);
    assert.is(back.toString(), "after the storm");
    assert.ok(await tipi.close(9));
    assert.ok(await tipi.close(KEEP));
    assert.is(device.sim.aborted, null);
    assert.not.ok(lines.some((l) => /internal error/.test(l)), lines.filter((l) => /internal error/.test(l)).join("\n"));
  } finally {
    tipi.end();
    await device.close();
    await echo.close();
  }
});

test.run();
