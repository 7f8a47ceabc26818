// `npm run bench`: figures from one run, each next to a baseline measured in the same run.
// Compute is XS's own meter (deterministic: the same every run); times are wall clock on this machine.
import { Simulator } from "../sim/simulator.js";

const MiB = 1 << 20;

function quantile(sorted, q) { return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]; }

async function ringFigures() {
  const sim = await Simulator.start();
  try {
    await sim.crank(`importNow("test/device/ring-bench").setupRing(4096, 1024); gc();`);
    const before = (await sim.crank(`gc();`)).meter.currentHeapCount;
    await sim.crank(`importNow("test/device/ring-bench").streamRing(${MiB}); gc();`);
    const after = (await sim.crank(`gc();`)).meter.currentHeapCount;
    const { result } = await sim.crank(`
      const b = importNow("test/device/ring-bench");
      meter();
      b.streamRing(${MiB});
      const ring = meter();
      b.streamBare(${MiB});
      const bare = meter();
      return { ring, bare };`);
    console.log("ring: 1 MiB through a 4 KiB ring in 1 KiB chunks (write, then read)");
    console.log(`  ring          ${result.ring} compute  ${(result.ring / MiB).toFixed(3)} per byte`);
    console.log(`  bare set x2   ${result.bare} compute  ${(result.bare / MiB).toFixed(3)} per byte  (same copies in and out, no ring)`);
    console.log(`  ratio         ${(result.ring / result.bare).toFixed(3)}x  (target <= 1.5x)`);
    console.log(`  heap slots    ${before} before, ${after} after gc  (growth ${after - before}; a bare gc crank adds 1)`);
  } finally {
    await sim.close();
  }
}

async function roundTrips() {
  const sim = await Simulator.start();
  try {
    const N = 2000;
    for (let i = 0; i < 200; i++) await sim.crank(``); // warm up
    const crank = [];
    for (let i = 0; i < N; i++) {
      const t = process.hrtime.bigint();
      await sim.crank(``);
      crank.push(Number(process.hrtime.bigint() - t) / 1000);
    }
    crank.sort((a, b) => a - b);
    // A worker -> parent call (issueCommand), the path of every socket read and write, N times in one crank.
    const t1 = process.hrtime.bigint();
    await sim.crank(`const r = importNow("Resource").default; for (let i = 0; i < ${N}; i++) r.exists("none"); return 0;`);
    const t2 = process.hrtime.bigint();
    console.log(`simulator: parent -> worker -> parent round trip (one empty crank), ${N} samples`);
    console.log(`  median ${quantile(crank, 0.5).toFixed(1)} us   p99 ${quantile(crank, 0.99).toFixed(1)} us`);
    console.log(`  worker -> parent call (issueCommand, e.g. a socket read): ${(Number(t2 - t1) / 1000 / N).toFixed(1)} us mean over ${N}`);
  } finally {
    await sim.close();
  }
}

await ringFigures();
await roundTrips();
