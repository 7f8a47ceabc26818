// Handles: many at once with their streams kept apart, the maxHandles cap and its logged refusal, an open on a
// handle that is already open, and all 256 handle numbers open together on a device configured for them.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as S from "./support/servers.js";
import { tipiDevice, readExactly, echoes } from "./support/tipi.js";
import { manifestDefaults } from "../client/tipi-sim.js";

const t = await tipiDevice();

test("handles: four at once (the cap) with interleaved traffic keep their streams apart", async () => {
  const handles = [30, 31, 200, 255];
  for (const h of handles) assert.ok(await t.client.open(h, t.ECHO), `open ${h}`);
  const sent = new Map(handles.map((h) => [h, []]));
  const got = new Map(handles.map((h) => [h, []]));
  for (let round = 0; round < 12; round++) {
    // pipelined: a write on every handle, then a read on every handle, without waiting in between
    const writes = handles.map((h, i) => {
      const data = Buffer.from(S.pattern(500 + 97 * i + round * 31, h * 100 + round + 1));
      sent.get(h).push(data);
      return t.client.write(h, data);
    });
    const reads = handles.map((h) => t.client.read(h, 700));
    assert.equal(await Promise.all(writes), [true, true, true, true]);
    for (const [i, chunk] of (await Promise.all(reads)).entries()) got.get(handles[i]).push(chunk);
  }
  for (const h of handles) {
    const expected = Buffer.concat(sent.get(h));
    const have = Buffer.concat(got.get(h));
    const rest = await readExactly(t.client, h, expected.length - have.length);
    assert.equal(Buffer.concat([have, rest]), expected, `handle ${h}`);
  }
  for (const h of handles) assert.ok(await t.client.close(h));
});

test("handles: an open over maxHandles answers [0] with a logged reason; a freed slot opens again", async () => {
  const { maxHandles } = manifestDefaults();
  assert.is(maxHandles, 4);
  for (let h = 40; h < 44; h++) assert.ok(await t.client.open(h, t.ECHO));
  const at = t.mark();
  assert.is(await t.client.open(44, t.ECHO), false);
  await t.logged(at, /^tipi: open 44 localhost:\d+ -> refused: 4 handles open, maxHandles is 4$/);
  assert.equal(await t.client.read(44, 10), Buffer.alloc(0));
  await echoes(t.client, 43, "the others are untouched");
  assert.ok(await t.client.close(40));
  assert.ok(await t.client.open(44, t.ECHO));
  await echoes(t.client, 44, "the freed slot works");
  for (const h of [41, 42, 43, 44]) assert.ok(await t.client.close(h));
});

test("handles: open on an already open handle closes the old connection, then opens", async () => {
  const sink = await S.tlsSink();
  try {
    assert.ok(await t.client.open(50, `localhost:${sink.port}`));
    const data = S.pattern(30000, 50);
    assert.ok(await t.client.write(50, data));
    const at = t.mark();
    assert.ok(await t.client.open(50, t.ECHO)); // right behind the write: part of it is still in the tx ring
    await t.logged(at, /^tipi: open 50: closing the connection already open on this handle$/);
    const [first] = await sink.waitReceived(1);
    assert.is(first.sha256, S.sha256(data), "the old connection was closed after all its bytes went");
    await echoes(t.client, 50, "second connection");
    assert.ok(await t.client.close(50));
  } finally {
    await sink.close();
  }
});

test("handles: all 256 open at once (maxHandles 256), each echoes its own bytes, all close", async () => {
  const wide = await tipiDevice({ tipi: { maxHandles: 256, rxSize: 256, txSize: 256 } });
  try {
    const opens = [];
    for (let h = 0; h < 256; h++) opens.push(wide.client.open(h, wide.ECHO)); // pipelined: one at a time on the device
    assert.equal((await Promise.all(opens)).filter((ok) => !ok).length, 0);
    assert.is(wide.device.sim.traces.filter((l) => /^tipi: open \d+ localhost:\d+ -> ok$/.test(l)).length, 256);
    const writes = [];
    for (let h = 0; h < 256; h++) writes.push(wide.client.write(h, `handle ${h}`));
    assert.ok((await Promise.all(writes)).every(Boolean));
    for (let h = 0; h < 256; h++) assert.is((await readExactly(wide.client, h, `handle ${h}`.length)).toString(), `handle ${h}`);
    const closes = [];
    for (let h = 0; h < 256; h++) closes.push(wide.client.close(h));
    assert.ok((await Promise.all(closes)).every(Boolean));
    wide.healthy();
  } finally {
    await wide.close();
  }
});

test("handles: the device never aborted and logged no internal error", () => {
  t.healthy();
});

test.after(() => t.close());
test.run();
