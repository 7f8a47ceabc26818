// What the tunnels cost inside XS, read from XS's own meter (deterministic): compute per payload byte of a stream
// through two tunnels joined by an in-memory link (test/device/ministream-bench.ts: tx ring, framing, link rings,
// parsing, rx ring, the server's bridge, WINDOW credit both ways), next to the ring baseline measured in the same
// run (the ring module's own stream, and bare Uint8Array.prototype.set doing its two copies); and the heap after
// megabytes have streamed. The figures are printed; the bounds below keep them from sliding unnoticed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Simulator } from "../sim/simulator.js";

const MiB = 1 << 20;
const sim = await Simulator.start({ manifest: "test/device/ministream/manifest.json" });

/** Compute per byte of `kind` ("upload" | "download") over `bytes`, less the same crank with 0 bytes. */
async function perByte(kind, bytes = MiB) {
  const base = (await sim.crank(`importNow("ministream-bench").${kind}(0);`)).meter.compute;
  const total = (await sim.crank(`importNow("ministream-bench").${kind}(${bytes});`)).meter.compute;
  const { result } = await sim.crank(`return importNow("ministream-bench").state();`);
  assert.is(result.result, bytes, `${kind}: every byte went through within the crank`);
  return (total - base) / bytes;
}

const heap = async () => (await sim.crank(`gc();`)).meter.currentHeapCount;

test("ministream bench: XS compute per payload byte, upload and download, next to the ring baseline", async () => {
  await sim.crank(`importNow("test/device/ring-bench").setupRing(4096, 1024);`);
  const ring = (await sim.crank(`const b = importNow("test/device/ring-bench"); meter(); b.streamRing(${MiB}); return meter();`)).result / MiB;
  const bare = (await sim.crank(`const b = importNow("test/device/ring-bench"); meter(); b.streamBare(${MiB}); return meter();`)).result / MiB;
  const figures = [];
  for (const [label, args] of [["defaults (rx 2048, tx 1024, 1 KiB messages)", "8192, 1024, 1024, 2048"], ["rx 4096 (a WINDOW every 2 KiB)", "8192, 1024, 1024, 4096"]]) {
    await sim.crank(`importNow("ministream-bench").setup(${args});`);
    await perByte("upload", 64 * 1024); // warm up
    figures.push([label, await perByte("upload"), await perByte("download")]);
  }
  console.log("\n  ministream: XS compute per payload byte, 1 MiB through two tunnels over an in-memory link (1 KiB app writes/reads)");
  for (const [label, up, down] of figures) {
    console.log(`    ${label.padEnd(46)} upload ${up.toFixed(2)} (${(up / bare).toFixed(2)}x bare)  download ${down.toFixed(2)} (${(down / bare).toFixed(2)}x bare)`);
  }
  console.log(`    ring baseline: ring ${ring.toFixed(2)}, bare set x2 ${bare.toFixed(2)} per byte`);
  console.log("    (the path copies each byte 5 times: app -> tx ring -> link tx ring -> link -> link rx ring -> rx ring;");
  console.log("     over a socket the middle two copies are the host's; bare does 2 copies)");
  const [, up, down] = figures[0];
  assert.ok(up < 7 * bare, `upload ${up.toFixed(2)} per byte, bare ${bare.toFixed(2)}`);
  assert.ok(down < 7 * bare, `download ${down.toFixed(2)} per byte, bare ${bare.toFixed(2)}`);
});

test("ministream bench: 4 MiB each way leave the XS heap slot count unchanged after gc", async () => {
  await sim.crank(`importNow("ministream-bench").setup(8192, 1024, 1024, 2048);`);
  await perByte("upload", 64 * 1024);
  await perByte("download", 64 * 1024);
  // Each crank leaves a slot of the simulator's own bookkeeping: as many cranks that stream nothing are the baseline.
  let before = await heap();
  await perByte("upload", 0);
  await perByte("download", 0);
  const empty = (await heap()) - before;
  before = await heap();
  await perByte("upload", 4 * MiB);
  await perByte("download", 4 * MiB);
  const after = await heap();
  assert.ok(after - before - empty <= 2, `heap grew ${after - before} slots streaming, ${empty} over as many empty cranks`);
  console.log(`  ministream: heap slots ${before} before, ${after} after 4 MiB up + 4 MiB down and gc (${empty} over as many cranks streaming nothing)`);
});

test("ministream bench: done", async () => {
  await sim.close();
});

test.run();
