// Memory of a TIPI device over time: the XS heap after 1 MiB each way and after many open/close cycles (flat: no
// allocation per frame, nothing left behind per handle), and the simulator's own memory under a flood of bad frames
// (its copy of the device log is a ring of the last TRACE_LINES lines).
import { test } from "uvu";
import * as assert from "uvu/assert";
import v8 from "node:v8";
import vm from "node:vm";
import * as S from "./support/servers.js";
import { tipiDevice, readExactly, rawSocket, sleep } from "./support/tipi.js";
import { startDevice } from "../client/tipi-sim.js";
import { TRACE_LINES } from "../sim/simulator.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");

const t = await tipiDevice();
/** XS heap slots after a gc, once the device is quiet (a crank runs between events). */
const slots = async () => { await sleep(200); return (await t.device.sim.crank("gc();")).meter.currentHeapCount; };

test("memory: the XS heap does not grow across 1 MiB each way (slots after gc)", async () => {
  const source = await S.tlsSource(1024 * 1024, { seed: 23 });
  const sink = await S.tlsSink();
  try {
    assert.ok(await t.client.open(23, `localhost:${source.port}`));
    assert.ok(await t.client.open(24, `localhost:${sink.port}`));
    await readExactly(t.client, 23, 4096);
    assert.ok(await t.client.write(24, S.pattern(4096, 1)));
    const before = await slots();
    await readExactly(t.client, 23, 1024 * 1024 - 4096, { ms: 30000 });
    assert.ok(await t.client.write(24, S.pattern(1024 * 1024, 2)));
    const after = await slots();
    console.log(`    XS heap: ${before} slots before, ${after} after 1 MiB each way`);
    assert.ok(after - before <= 4, `heap grew from ${before} to ${after} slots`);
    assert.ok(await t.client.close(23));
    assert.ok(await t.client.close(24));
  } finally {
    await source.close();
    await sink.close();
  }
});

test("memory: 150 open / write / read / close cycles leave the XS heap where it was", async () => {
  const cycle = async (i) => {
    const handle = i % 256;
    assert.ok(await t.client.open(handle, t.ECHO), `open ${handle}`);
    assert.ok(await t.client.write(handle, `cycle ${i}`));
    assert.is((await readExactly(t.client, handle, `cycle ${i}`.length)).toString(), `cycle ${i}`);
    assert.ok(await t.client.close(handle));
  };
  for (let i = 0; i < 10; i++) await cycle(i);
  const before = await slots();
  for (let i = 10; i < 150; i++) await cycle(i);
  const after = await slots();
  console.log(`    XS heap: ${before} slots after 10 cycles, ${after} after 150`);
  assert.ok(after - before <= 16, `heap grew from ${before} to ${after} slots`);
  t.healthy();
});

test(`memory: a flood of bad frames keeps the simulator's log to ${TRACE_LINES} lines and its heap flat`, async () => {
  let lines = 0;
  const device = await startDevice({ onTrace: () => { lines++; } });
  const raw = await rawSocket(device.port);
  /** `count` empty messages (each answered [0] and logged), in bursts; waits for every reply. */
  const flood = async (count) => {
    const burst = 5000;
    for (let sent = 0; sent < count; sent += burst) {
      raw.send(Buffer.alloc(2 * Math.min(burst, count - sent))); // 00 00: a frame with an empty message
      await raw.take(3 * Math.min(burst, count - sent), 60000);
    }
  };
  try {
    await flood(TRACE_LINES + 2000); // the ring is full from here on
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.memoryUsage().rss;
    await flood(50000);
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    const rssAfter = process.memoryUsage().rss;
    const traces = device.sim.traces;
    console.log(`    ${lines} log lines: ${traces.length} kept, ${device.sim.tracesDropped} dropped; heap ${(heapBefore / 1e6).toFixed(1)} -> ${(heapAfter / 1e6).toFixed(1)} MB, RSS ${(rssBefore / 1e6).toFixed(0)} -> ${(rssAfter / 1e6).toFixed(0)} MB over the last 50,000 frames`);
    assert.ok(lines >= TRACE_LINES + 52000, `every bad frame was logged (${lines} lines)`);
    assert.is(traces.length, TRACE_LINES);
    assert.is(traces[traces.length - 1], "tipi: bad request (empty message): 0 bytes -> 0", "the newest line is last");
    assert.ok(heapAfter - heapBefore < 2e6, `the heap grew by ${((heapAfter - heapBefore) / 1e6).toFixed(1)} MB over 50,000 logged frames`);
    assert.ok(rssAfter - rssBefore < 30e6, `RSS grew by ${((rssAfter - rssBefore) / 1e6).toFixed(0)} MB`);
    assert.is(device.sim.aborted, null);
  } finally {
    raw.destroy();
    await device.close();
  }
});

test.after(() => t.close());
test.run();
