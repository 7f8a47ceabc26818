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

// ---- the TIPI read path (issue 3) ----

async function tipiFigures() {
  const sim = await Simulator.start({ manifest: "apps/tipi/manifest.json" });
  try {
    await sim.crank(`const t = importNow("bench/tipi-read"); t.setup(1, 1024); t.open(0);`);
    const { result: open } = await sim.crank(`return importNow("bench/tipi-read").openHandles();`);
    if (open !== 1) throw new Error(`bench: the handle did not open (${open})`);
    await sim.crank(`importNow("bench/tipi-read").readPath(${64 * 1024});`);
    const { result } = await sim.crank(`
      const t = importNow("bench/tipi-read");
      meter();
      const moved = t.readPath(${MiB});
      return { compute: meter(), moved };`);
    const before = (await sim.crank(`gc();`)).meter.currentHeapCount;
    await sim.crank(`importNow("bench/tipi-read").readPath(${4 * MiB}); gc();`);
    const after = (await sim.crank(`gc();`)).meter.currentHeapCount;
    const { result: bare } = await sim.crank(`
      const b = importNow("test/device/ring-bench");
      b.setupRing(4096, 1024);
      meter();
      b.streamBare(${MiB});
      return meter();`);
    console.log("tipi read path in XS: socket -> handle rx ring -> read reply frame -> link, 1 MiB in 1 KiB reads");
    console.log(`  read path     ${result.compute} compute  ${(result.compute / MiB).toFixed(3)} per payload byte  (${result.moved} payload bytes)`);
    console.log(`  ring bare copy ${bare} compute  ${(bare / MiB).toFixed(3)} per byte  (2 set calls per chunk)`);
    console.log(`  ratio         ${(result.compute / bare).toFixed(3)}x  (target <= 3x)`);
    console.log(`  heap slots    ${before} before, ${after} after 4 MiB and gc  (growth ${after - before})`);
  } finally {
    await sim.close();
  }
  // Heap slots per open handle: servers with 1 and with 5 handles, after gc.
  const slots = [];
  for (const handles of [1, 5]) {
    const s = await Simulator.start({ manifest: "apps/tipi/manifest.json" });
    try {
      await s.crank(`importNow("bench/tipi-read"); gc();`);
      const base = (await s.crank(`gc();`)).meter.currentHeapCount;
      await s.crank(`importNow("bench/tipi-read").setup(${handles}, 1024);`);
      for (let h = 0; h < handles; h++) await s.crank(`importNow("bench/tipi-read").open(${h});`);
      const { result: opened } = await s.crank(`return importNow("bench/tipi-read").openHandles();`);
      if (opened !== handles) throw new Error(`bench: ${opened} of ${handles} handles opened`);
      await s.crank(`importNow("bench/tipi-read").readPath(${64 * 1024}); gc();`);
      slots.push((await s.crank(`gc();`)).meter.currentHeapCount - base);
    } finally {
      await s.close();
    }
  }
  console.log(`  per open handle ${((slots[1] - slots[0]) / 4).toFixed(0)} heap slots of device code (server with 1 handle: ${slots[0]}, with 5: ${slots[1]};`);
  console.log("                  not counting the SDK's TLSSocket: ~6.4 KB of slots + 2.3 KB of chunks per session on the SDK's simulator)");
}

async function throughput() {
  const { tlsSource } = await import("../test/support/servers.js");
  const { startDevice } = await import("../client/tipi-sim.js");
  const { TipiClient } = await import("../client/tipi-client.js");
  const net = await import("node:net");
  const size = 4 * MiB;

  // Plain bridged socket: the device pipes its TLS connection to the link.
  const plainSource = await tlsSource(size);
  let port;
  const sim = await Simulator.start({ config: { relay: { source: plainSource.port } }, onListening: (p) => { port = p; } });
  sim.launch("bench/relay");
  while (!port) await new Promise((r) => setTimeout(r, 5));
  const t0 = process.hrtime.bigint();
  const plainBytes = await new Promise((resolve, reject) => {
    let n = 0;
    const socket = net.connect(port, "127.0.0.1");
    socket.on("data", (d) => { n += d.length; });
    socket.on("close", () => resolve(n));
    socket.on("error", reject);
  });
  const plainMs = Number(process.hrtime.bigint() - t0) / 1e6;
  await sim.close();
  await plainSource.close();

  // TIPI: the host reads the same bytes through read requests (four in flight).
  const source = await tlsSource(size);
  const device = await startDevice();
  const client = await TipiClient.connect(device.link);
  if (!(await client.open(0, `localhost:${source.port}`))) throw new Error("bench: tipi open failed");
  const t1 = process.hrtime.bigint();
  let tipiBytes = 0;
  let quiet = 0;
  while (tipiBytes < size && quiet < 2000) {
    const replies = await Promise.all([0, 1, 2, 3].map(() => client.read(0, 2048)));
    const got = replies.reduce((a, r) => a + r.length, 0);
    tipiBytes += got;
    if (got === 0) { quiet++; await new Promise((r) => setTimeout(r, 1)); } else quiet = 0;
  }
  const tipiMs = Number(process.hrtime.bigint() - t1) / 1e6;
  await client.close(0);
  client.end?.();
  await device.close();
  await source.close();

  const rate = (bytes, ms) => bytes / MiB / (ms / 1000);
  console.log(`simulator throughput, ${size / MiB} MiB from a TLS server to the host over the device's link`);
  console.log(`  plain bridged socket  ${plainBytes} bytes in ${plainMs.toFixed(0)} ms  ${rate(plainBytes, plainMs).toFixed(2)} MiB/s`);
  console.log(`  tipi read requests    ${tipiBytes} bytes in ${tipiMs.toFixed(0)} ms  ${rate(tipiBytes, tipiMs).toFixed(2)} MiB/s`);
  console.log(`  ratio                 ${(rate(tipiBytes, tipiMs) / rate(plainBytes, plainMs)).toFixed(2)} of the plain socket  (target >= 0.8)`);
}

await tipiFigures();
await throughput();

// ---- ministreaming tunnels (issue 16, section 1) ----

async function ministreamFigures() {
  const sim = await Simulator.start({ manifest: "test/device/ministream/manifest.json" });
  try {
    const perByte = async (kind) => {
      const base = (await sim.crank(`importNow("ministream-bench").${kind}(0);`)).meter.compute;
      const total = (await sim.crank(`importNow("ministream-bench").${kind}(${MiB});`)).meter.compute;
      return (total - base) / MiB;
    };
    await sim.crank(`importNow("test/device/ring-bench").setupRing(4096, 1024);`);
    const ring = (await sim.crank(`const b = importNow("test/device/ring-bench"); meter(); b.streamRing(${MiB}); return meter();`)).result / MiB;
    const bare = (await sim.crank(`const b = importNow("test/device/ring-bench"); meter(); b.streamBare(${MiB}); return meter();`)).result / MiB;
    console.log("ministream: 1 MiB through two tunnels over an in-memory link, 1 KiB app writes/reads (XS compute per payload byte)");
    for (const [label, args] of [["defaults (rx 2048)", "8192, 1024, 1024, 2048"], ["rx 4096", "8192, 1024, 1024, 4096"]]) {
      await sim.crank(`importNow("ministream-bench").setup(${args});`);
      const up = await perByte("upload");
      const down = await perByte("download");
      console.log(`  ${label.padEnd(19)} upload ${up.toFixed(2)} (${(up / bare).toFixed(2)}x bare)  download ${down.toFixed(2)} (${(down / bare).toFixed(2)}x bare)`);
    }
    console.log(`  ring baseline       ring ${ring.toFixed(2)}, bare set x2 ${bare.toFixed(2)} per byte (same run)`);
  } finally {
    await sim.close();
  }
}

await ministreamFigures();
