// The four commands of the TIPI TLS extension, byte for byte on the link (a raw socket), against a TLS echo server:
// replies, their order, requests cut anywhere or merged, a write larger than the tx ring, and the handle states a
// request goes through (config.tipi.traceStates).
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as S from "./support/servers.js";
import { tipiDevice, hex, openFrame, rawRead, readExactly, sleep } from "./support/tipi.js";
import { frame } from "../client/tipi-client.js";

const t = await tipiDevice({ tipi: { traceStates: true } });

test("commands: open, write, read, close answer byte-exact frames", async () => {
  await t.withRawLink(async (raw) => {
    raw.send(openFrame(10, t.ECHO));
    assert.equal(await raw.take(3, 10000), hex("00 01 ff"), "open -> [255]");
    raw.send(frame(Buffer.concat([hex("24 0a 03"), Buffer.from("hello, tipi!")])));
    assert.equal(await raw.take(3), hex("00 01 ff"), "write -> [255]");
    // the echo comes back, perhaps in pieces: reads of what is left of 5 take "hello" and leave the rest in place;
    // reads of 4096 take only the 7 bytes that are left
    assert.is((await rawRead(raw, 0x0a, 5, (have) => 5 - have)).toString(), "hello", "5 of 12");
    assert.is((await rawRead(raw, 0x0a, 7, () => 0x1000)).toString(), ", tipi!", "the other 7");
    raw.send(hex("00 05 24 0a 04 10 00"));
    assert.equal(await raw.take(2), hex("00 00"), "nothing buffered -> empty reply");
    raw.send(hex("00 05 24 0a 04 00 00"));
    assert.equal(await raw.take(2), hex("00 00"), "read of 0 bytes -> empty reply");
    raw.send(hex("00 03 24 0a 02"));
    assert.equal(await raw.take(3), hex("00 01 ff"), "close -> [255]");
    raw.send(hex("00 03 24 0a 02"));
    assert.equal(await raw.take(3), hex("00 01 ff"), "close of a closed handle -> [255]");
    raw.send(hex("00 05 24 0a 04 10 00"));
    assert.equal(await raw.take(2), hex("00 00"), "read of a closed handle -> empty reply");
    raw.send(hex("00 04 24 0a 03 41"));
    assert.equal(await raw.take(3), hex("00 01 00"), "write to a closed handle -> [0]");
    raw.send(hex("00 03 24 0a 03"));
    assert.equal(await raw.take(3), hex("00 01 00"), "empty write (probe) to a closed handle -> [0]");
    // One reply per request: an extra reply to any request above would shift the replies after it, and this last
    // one differs from the two before it.
    raw.send(hex("00 05 24 0a 04 10 00"));
    assert.equal(await raw.take(2), hex("00 00"), "one reply per request: the last request's reply comes next");
  });
});

test("commands: requests split byte by byte, and many merged into one write, are answered in order", async () => {
  await t.withRawLink(async (raw) => {
    const open = openFrame(11, t.ECHO);
    for (const byte of open) {
      raw.send([byte]);
      await sleep(1);
    }
    assert.equal(await raw.take(3, 10000), hex("00 01 ff"));
    const burst = Buffer.concat([
      frame(Buffer.concat([hex("24 0b 03"), Buffer.from("abc")])),
      hex("00 03 24 0c 02"), // close a handle that is not open
      hex("00 05 24 0c 04 00 10"), // read it
      frame(Buffer.concat([hex("24 0b 03"), Buffer.from("def")])),
    ]);
    raw.send(burst);
    assert.equal(await raw.take(3 + 3 + 2 + 3), hex("00 01 ff  00 01 ff  00 00  00 01 ff"));
    assert.is((await rawRead(raw, 0x0b, 6, () => 0x40)).toString(), "abcdef", "both writes echoed, in order");
    raw.send(hex("00 03 24 0b 02"));
    assert.equal(await raw.take(3), hex("00 01 ff"));
  });
});

test("commands: a write larger than the free tx space (4093 bytes, 1 KiB ring) is taken whole, [255]", async () => {
  assert.ok(await t.client.open(12, t.ECHO));
  const data = Buffer.from(S.pattern(4093, 12));
  assert.is((await t.client.request(Buffer.concat([hex("24 0c 03"), data])))[0], 0xff);
  assert.equal(await readExactly(t.client, 12, data.length), data);
  assert.ok(await t.client.close(12));
});

test("states: a handle's life is logged transition by transition (traceStates), each one in the table", async () => {
  const sink = await S.tlsSink();
  try {
    const at = t.mark();
    assert.ok(await t.client.open(13, `localhost:${sink.port}`));
    // one request, more than the tx ring: WRITING until all is in; the close queued right behind it finds bytes still
    // in the tx ring: CLOSING until they went out
    assert.equal(await Promise.all([t.client.write(13, S.pattern(4000, 13)), t.client.close(13)]), [true, true]);
    const [received] = await sink.waitReceived(1);
    assert.is(received.bytes, 4000);
    const states = t.since(at).filter((line) => line.startsWith("tipi: handle 13 ")).map((line) => line.replace("tipi: handle 13 ", ""));
    assert.equal(states, ["FREE -> OPENING", "OPENING -> OPEN", "OPEN -> WRITING", "WRITING -> OPEN",
      "OPEN -> CLOSING", "CLOSING -> FREE"]);
  } finally {
    await sink.close();
  }
});

test("commands: the device never aborted and logged no internal error", () => {
  t.healthy();
});

test.after(() => t.close());
test.run();
