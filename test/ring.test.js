// The ring (modules/ring) inside XS: the device-side cases of test/device/ring.ts, and the allocation proof.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Simulator } from "../sim/simulator.js";
import { runDevice } from "./support/device.js";

const report = await runDevice("test/device/ring");

test("ring: device suite ran to the end in XS without an abort", () => {
  assert.is(report.aborted, null);
  assert.ok(report.done, "no `done` line");
  assert.ok(report.cases.length >= 30, `only ${report.cases.length} cases reported`);
});

for (const c of report.cases) {
  test(`ring: ${c.name}`, () => assert.ok(c.ok, c.why));
}

test("ring: 1 MiB through a 4 KiB ring leaves the XS heap slot count unchanged after gc", async () => {
  const sim = await Simulator.start();
  try {
    await sim.crank(`importNow("test/device/ring-bench").setupRing(4096, 1024); gc();`);
    const before = (await sim.crank(`gc();`)).meter.currentHeapCount;
    const moved = await sim.crank(`const n = importNow("test/device/ring-bench").streamRing(1 << 20); gc(); return n;`);
    const after = (await sim.crank(`gc();`)).meter.currentHeapCount;
    assert.is(moved.result, 1 << 20);
    // Each crank of `gc()` alone leaves at most one slot (the crank's own bookkeeping).
    assert.ok(after - before <= 2, `heap grew from ${before} to ${after} slots`);
  } finally {
    await sim.close();
  }
});

test.run();
