// `npm run bench`: figures from one run, each next to a baseline measured in the same run.
// Compute is XS's own meter (deterministic: the same every run); times are wall clock on this machine.
import { Simulator } from "../sim/simulator.js";
import { crankMeter, traceWatch, processCpuMs, median } from "./support.js";

const MiB = 1 << 20;

// `npm run bench -- telemetry tipi`: only the named sections (all of them without arguments).
const only = process.argv.slice(2);
const wanted = (name) => only.length === 0 || only.includes(name);

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

if (wanted("ring")) await ringFigures();
if (wanted("cranks")) await roundTrips();

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

if (wanted("tipi")) await tipiFigures();
if (wanted("tipi")) await throughput();

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

if (wanted("ministream")) await ministreamFigures();

// ---- telemetry over Secure Streams, QoS 1 (issue 14) ----

// The device and mqtt.js take turns, PAIRS times, each publishing N messages per turn; the ratio is the median of
// the turns' ratios, so a slow moment of this (shared, virtual) machine falls on both sides of one pair.
async function telemetryFigures() {
  const { certs } = await import("../test/support/servers.js");
  const { startBroker } = await import("../test/device/mqtt/support.js");
  const mqtt = (await import("mqtt")).default;
  const N = 2000, PAIRS = 5, WINDOW = 8, HEAP_N = 10000, OUTAGE_N = 1000, TOPIC = "field/7/readings";
  const PAYLOAD = '{"unit":"7","seq":000000,"t":21.97,"h":49.46,"dropped":0}';
  let broker = await startBroker();
  const policy = JSON.stringify({
    release: "bench", product: "field-tls-firmware", "schema-version": 1,
    retry: [{ quick: { backoff: [100], conceal: 5, jitterpc: 1 } }],
    certs: [{ fixture_ca: certs.caDer.toString("base64") }],
    trust_stores: [{ name: "fixture", stack: ["fixture_ca"] }],
    s: [{ mq: {
      endpoint: "localhost", port: broker.port, protocol: "mqtt", tls: true, tls_trust_store: "fixture", retry: "quick",
      nailed_up: true, metadata: [{ clientid: "" }], mqtt_topic: TOPIC, mqtt_qos: 1, mqtt_keep_alive: 60, mqtt_clean_start: true,
    } }],
  });
  // XS compute of every crank (events and calls alike) of the timed runs: the device's own work per message.
  const meter = crankMeter();
  const { onTrace, traced } = traceWatch();
  const sim = await Simulator.start({ manifest: "test/device/ss/manifest.json", config: { policy }, onTrace });
  const MOD = "test/device/ss/qos1-bench";
  const heap = async () => (await sim.crank(`gc();`)).meter.currentHeapCount;
  const nodeCpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const roundTrips = () => sim.cranks + [...sim.calls.values()].reduce((a, b) => a + b, 0);
  // mqtt.js: the same messages, the same topic and QoS, the same broker, at most WINDOW unacknowledged.
  let client;
  const connectMqttjs = async () => {
    client = mqtt.connect({
      protocol: "mqtts", host: "127.0.0.1", port: broker.port, servername: "localhost", ca: certs.caPem,
      clientId: "bench-mqttjs", reconnectPeriod: 0, protocolVersion: 4, clean: true,
    });
    await new Promise((resolve, reject) => { client.once("connect", resolve); client.once("error", reject); });
  };
  const mqttjsTurn = async (n) => {
    let next = 0;
    const lane = async () => {
      while (next < n) {
        const seq = next++;
        await client.publishAsync(TOPIC, PAYLOAD.replace("000000", String(seq).padStart(6, "0")), { qos: 1 });
      }
    };
    const t0 = process.hrtime.bigint(), c0 = nodeCpuMs();
    await Promise.all(Array.from({ length: WINDOW }, lane));
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, nodeCpu: nodeCpuMs() - c0 };
  };
  const deviceTurn = async (n) => {
    const done = traced(`bench: done ${n}`, 120000);
    const t0 = process.hrtime.bigint(), c0 = nodeCpuMs(), w0 = processCpuMs(sim.workerPid), r0 = roundTrips();
    meter.start();
    await sim.crank(`importNow("${MOD}").go(${n}, ${WINDOW});`);
    await done;
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const compute = meter.stop();
    const w1 = processCpuMs(sim.workerPid);
    return { ms, compute, nodeCpu: nodeCpuMs() - c0, workerCpu: w0 === null || w1 === null ? NaN : w1 - w0, trips: roundTrips() - r0 };
  };
  const turns = [];
  let heapFigures, outageFigures, calls, localCompute;
  // A count that has stopped moving for 500 ms (what a broker received once the device has sent all it kept).
  const settled = async (count) => {
    let last = -1, since = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 50));
      const now = count();
      if (now !== last) { last = now; since = Date.now(); } else if (Date.now() - since >= 500) return now;
    }
  };
  try {
    await sim.crank(`importNow("${MOD}"); gc();`);
    const base = await heap();
    const connected = traced("bench: connected");
    await sim.crank(`importNow("${MOD}").open();`);
    await connected;
    await deviceTurn(N); // warm-up
    const opened = await heap();
    await connectMqttjs();
    await mqttjsTurn(N); // warm-up
    const callsBefore = [...sim.calls.values()].reduce((a, b) => a + b, 0);
    for (let i = 0; i < PAIRS; i++) turns.push({ device: await deviceTurn(N), mqttjs: await mqttjsTurn(N) });
    calls = ([...sim.calls.values()].reduce((a, b) => a + b, 0) - callsBefore) / (N * PAIRS);
    await client.endAsync(true);
    const done = traced(`bench: done ${HEAP_N}`, 120000);
    const before = await heap();
    await sim.crank(`importNow("${MOD}").go(${HEAP_N}, ${WINDOW});`);
    await done;
    const after = await heap();
    heapFigures = { stream: opened - base, before, after };
    // An outage that overflows the outbox: the broker goes, OUTAGE_N readings are queued, it comes back on its port.
    const down = traced("bench: disconnected");
    await broker.close();
    await down;
    const beforeOutage = await heap();
    await sim.crank(`importNow("${MOD}").queue(${OUTAGE_N});`);
    const queuedHeap = await heap();
    const back = traced("bench: connected");
    broker = await startBroker({ port: broker.port });
    await back;
    const delivered = await settled(() => broker.log.publishes.length);
    const seqs = broker.log.publishes.map((p) => Number(/"seq":(\d+)/.exec(p.payload)?.[1]));
    const inOrder = seqs.every((v, i) => v === OUTAGE_N - delivered + i);
    outageFigures = { before: beforeOutage, queued: queuedHeap, after: await heap(), delivered, inOrder };
    await sim.crank(`importNow("${MOD}").close();`);
    // The same stream over an in-XS broker (qos1-bench's LocalBroker): no TLS socket, no bridge, one crank.
    await sim.crank(`importNow("${MOD}").openLocal();`);
    await sim.crank(`importNow("${MOD}").go(${N}, ${WINDOW});`); // warm-up
    localCompute = (await sim.crank(`importNow("${MOD}").go(${HEAP_N}, ${WINDOW});`)).meter.compute / HEAP_N;
    await sim.crank(`importNow("${MOD}").close();`);
  } finally {
    meter.restore();
    await sim.close();
    await broker.close();
  }
  const rate = (t) => N / (t.ms / 1000);
  const ratios = turns.map((t) => rate(t.device) / rate(t.mqttjs));
  const device = median(turns.map((t) => rate(t.device))), node = median(turns.map((t) => rate(t.mqttjs)));
  const per = (key, side) => median(turns.map((t) => t[side][key])) * 1000 / N; // µs (or count) per message
  const perMessage = median(turns.map((t) => t.device.compute)) / N;
  const span = (values) => `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`;
  console.log(`telemetry qos1: ${device.toFixed(0)} msg/s device, ${node.toFixed(0)} msg/s mqtt.js, ratio ${median(ratios).toFixed(2)}  (target >= 0.5; ${PAIRS} turns each, ratios ${span(ratios)})`);
  console.log(`  ${N} QoS 1 messages of ${PAYLOAD.length} bytes per turn, ${WINDOW} in flight, aedes over TLS on 127.0.0.1, device and mqtt.js taking turns;`);
  console.log("  device: an ss mqtt stream (test/device/ss/qos1-bench.ts) in XS through the simulator's TLS socket");
  console.log("  where a message's time goes (medians per message; CPU from /proc, the worker's in 10 ms ticks):");
  console.log(`    device   ${(1e6 / device).toFixed(0).padStart(4)} us wall = XS worker ${per("workerCpu", "device").toFixed(0)} us CPU + Node ${per("nodeCpu", "device").toFixed(0)} us CPU (aedes, both TLS ends, the bridge), taking turns`);
  console.log(`    mqtt.js  ${(1e6 / node).toFixed(0).padStart(4)} us wall = Node ${per("nodeCpu", "mqttjs").toFixed(0)} us CPU (aedes, both TLS ends, mqtt.js, one process)`);
  console.log(`    bridge round trips (cranks + host calls) per message ${(per("trips", "device") / 1000).toFixed(2)}; host calls ${calls.toFixed(2)}`);
  console.log(`  XS compute per published message  ${perMessage.toFixed(0)}  (every crank of the timed runs: ss, mqtt, PUBACK, the TLS socket's JS)`);
  console.log(`    the device path alone             ${localCompute.toFixed(0)}  (ss, mqtt and the app's callbacks over an in-XS broker that acknowledges at once: no TLS socket, no bridge)`);
  console.log(`  heap per open stream              ${heapFigures.stream} slots (connected, after gc, over the module loaded)`);
  console.log(`  heap over ${HEAP_N} messages         ${heapFigures.before} before, ${heapFigures.after} after gc  (growth ${heapFigures.after - heapFigures.before}; a bare gc crank adds 1)`);
  const o = outageFigures;
  console.log(`  outage: ${OUTAGE_N} readings queued with the broker down, ${o.delivered} delivered after it came back (the newest, in order: ${o.inOrder ? "yes" : "NO"}); the full outbox dropped the other ${OUTAGE_N - o.delivered}`);
  console.log(`  heap over the outage              ${heapFigures.after} connected, ${o.before} disconnected, ${o.queued} with the outbox full, ${o.after} connected again  (growth ${o.after - heapFigures.after})`);
}

if (wanted("telemetry")) await telemetryFigures();

if (wanted("ss-proxy")) await (await import("./ss-proxy.js")).ssProxyFigures();
