// The ring (modules/ring) inside XS: the device-side cases of test/device/ring.ts, and the allocation proof.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Simulator } from "../sim/simulator.js";
import { runDevice } from "./support/device.js";

const report = await runDevice("test/device/ring");

// Every case of test/device/ring.ts, in the order it runs them: the device must report exactly these.
const CASES = [
  "new-ring-is-empty",
  "write-takes-what-fits",
  "capacity-free-available-accounting",
  "write-on-full-returns-0",
  "write-empty-span-returns-0",
  "read-on-empty-returns-0",
  "read-consumes-in-order",
  "wrap-around-write-and-read",
  "write-with-offset-and-length",
  "partial-write-with-offset-wraps",
  "read-with-offset-and-length",
  "write-and-read-accept-array-buffer",
  "write-accepts-subarray-views",
  "peek-does-not-consume",
  "peek-with-skip-across-wrap",
  "peek-skip-past-available-returns-0",
  "skip-discards-up-to-n",
  "clear-empties-the-ring",
  "bad-constructor-args-throw-range-error",
  "non-byte-view-throws-type-error",
  "bad-offset-or-length-throws-range-error",
  "write-from-fills-free-space",
  "drained-ring-offers-whole-storage-to-write-from",
  "read-ending-at-storage-end-wraps-read-position",
  "write-from-wraps-in-two-spans",
  "write-from-respects-max-and-partial-source",
  "read-to-drains-with-wrap",
  "read-to-partial-sink-consumes-only-reported",
  "frame-push-pop-roundtrip",
  "frame-next-length-and-count",
  "frame-header-is-big-endian-length",
  "frame-push-is-all-or-nothing",
  "frame-pop-too-small-into-throws-without-consuming",
  "frame-max-frame-enforced",
  "frame-wraps-around-storage",
  "frame-clear-and-drop",
  "stream-1mib-odd-chunks-byte-exact",
  "stream-256kib-write-from-read-to-byte-exact",
];

test("ring: device suite ran to the end in XS without an abort, reporting every case once, in order", () => {
  assert.is(report.aborted, null);
  assert.ok(report.done, "no `done` line");
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`ring: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
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
