// Malformed input on the link: every bad request is answered [0] and logged, the link stays in step, and the
// handles (and the bytes waiting on them) are untouched.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tipiDevice, readExactly, echoes, hex, openFrame } from "./support/tipi.js";

const t = await tipiDevice();

const MALFORMED = [
  ["an unknown extension byte", hex("00 05 22 00 04 00 10"), /bad request \(unknown extension\)/],
  ["an unknown command", hex("00 03 24 00 09"), /bad request \(unknown command\)/],
  ["an empty message", hex("00 00"), /bad request \(empty message\)/],
  ["a message truncated after the handle", hex("00 02 24 00"), /bad request \(truncated message\)/],
  ["a read truncated before its size", hex("00 04 24 00 04 01"), /bad request \(truncated message\)/],
  ["an open with no hostname:port", hex("00 03 24 00 01"), /bad request \(truncated message\)/],
  ["a close with bytes after it", hex("00 04 24 00 02 00"), /bad request \(bytes after the end of the request\)/],
  ["an open without a port", openFrame(0, "localhost"), /bad request \(open without a port/],
  ["an open with an empty port", openFrame(0, "localhost:"), /bad request \(open without a port/],
  ["port 0", openFrame(0, "localhost:0"), /bad request \(port is not a number from 1 to 65535\)/],
  ["port 65536", openFrame(0, "localhost:65536"), /bad request \(port is not a number from 1 to 65535\)/],
  ["a port that is not a number", openFrame(0, "localhost:4a3"), /bad request \(port is not a number from 1 to 65535\)/],
  ["a negative port", openFrame(0, "localhost:-1"), /bad request \(port is not a number from 1 to 65535\)/],
  ["a hostname one byte over the cap (254)", openFrame(0, `${"a".repeat(254)}:443`), /bad request \(hostname longer than the cap\)/],
  ["a hostname of control bytes", openFrame(0, "bad\u0001host:443"), /bad request \(hostname empty or not printable ASCII\)/],
];

for (const [name, bytes, pattern] of MALFORMED) {
  test(`malformed: ${name} answers [0] and is logged; the link and other handles carry on`, async () => {
    assert.ok(await t.client.open(90, t.ECHO));
    assert.ok(await t.client.write(90, "pending bytes stay put"));
    const at = t.mark();
    const [reply] = await t.client.raw(bytes, 1);
    assert.equal(reply, Buffer.from([0]));
    const line = await t.logged(at, pattern);
    assert.match(line, / -> 0$/);
    assert.is((await readExactly(t.client, 90, 22)).toString(), "pending bytes stay put");
    await echoes(t.client, 90, "still fine");
    assert.ok(await t.client.close(90));
  });
}

test("malformed: a frame longer than maxFrame is answered once, its bytes skipped, the next request served", async () => {
  assert.ok(await t.client.open(91, t.ECHO));
  const at = t.mark();
  const big = Buffer.alloc(2 + 5000, 0x24);
  big.writeUInt16BE(5000, 0);
  const replies = await t.client.raw(Buffer.concat([big, hex("00 05 24 5b 04 00 10")]), 2);
  assert.equal(replies, [Buffer.from([0]), Buffer.alloc(0)]);
  await t.logged(at, /^tipi: frame of 5000 bytes is longer than maxFrame 4096: skipped -> 0$/);
  await echoes(t.client, 91, "after the big frame");
  assert.ok(await t.client.close(91));
});

test("malformed: a hostname at the cap (253) is not refused for its length", async () => {
  const name = ["a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61)].join(".");
  assert.is(name.length, 253);
  const at = t.mark();
  assert.is(await t.client.open(92, `${name}:443`), false);
  const line = await t.logged(at, /^tipi: open 92 /);
  assert.match(line, /-> failed TLS_DNS/);
});

test("malformed: the device never aborted and logged no internal error", () => {
  t.healthy();
});

test.after(() => t.close());
test.run();
