// `node bench/relay-tox.js`: figures for the Tox TCP relay (issue 16, section 2), each next to a baseline from the
// same run. XS compute is the engine's own meter (the same every run); times are wall clock on this machine.
//  - relay/crypto in XS: compute per handshake (client side) and per KiB of link data sealed and opened
//  - forwarding throughput: two Node clients through tools/relay next to a plain TCP forward (a Node pipe)
//  - two device clients (XS) through tools/relay: the device's end-to-end rate
//  - links held at once (240 slots per connection at the relay) and memory per link, device and relay
import net from "node:net";
import v8 from "node:v8";
import vm from "node:vm";
import { randomFillSync, createHash } from "node:crypto";
import { Simulator } from "../sim/simulator.js";
import { NodeRelayClient } from "../tools/relay/client.js";
import { crypto } from "../tools/relay/shared.js";
import { MANIFEST, prepareNoble, startRelay, runScenario } from "../test/device/relay/support.js";

const MiB = 1 << 20;
const rate = (bytes, ms) => (bytes / MiB / (ms / 1000)).toFixed(2);
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");

async function xsCrypto() {
  prepareNoble();
  const sim = await Simulator.start({ manifest: MANIFEST, config: { relayTest: {} } });
  try {
    const { result } = await sim.crank(`
      const b = importNow("test/device/relay/bench");
      b.clientHello(); b.relayReply(); b.clientFinish();           // warm
      meter();
      b.clientHello();
      const hello = meter();
      b.relayReply();
      const relay = meter();
      const ok = b.clientFinish();
      const finish = meter();
      b.sealKiB(64);
      const seal = meter();
      b.clientHello(); b.relayReply(); b.clientFinish();           // fresh sessions: nonces in step
      b.prepareFrames(64);
      meter();
      b.openKiB();
      const open = meter();
      return { hello, relay, finish, ok, seal, open };`);
    const { result: bare } = await sim.crank(`
      const src = new Uint8Array(1024), dst = new Uint8Array(1024);
      meter();
      for (let i = 0; i < 64; i++) dst.set(src);
      return meter();`);
    console.log("relay/crypto in XS (noble X25519 + XSalsa20-Poly1305)");
    console.log(`  handshake, client side  ${result.hello + result.finish} compute  (hello ${result.hello}: 2 X25519; finish ${result.finish}: 1 X25519)`);
    console.log(`  handshake, relay side   ${result.relay} compute  (3 X25519; for comparison)`);
    console.log(`  seal 1 KiB of link data ${(result.seal / 64).toFixed(0)} compute per KiB  ${(result.seal / 64 / 1024).toFixed(1)} per byte`);
    console.log(`  open 1 KiB of link data ${(result.open / 64).toFixed(0)} compute per KiB  ${(result.open / 64 / 1024).toFixed(1)} per byte`);
    console.log(`  bare copy of 1 KiB      ${(bare / 64).toFixed(0)} compute per KiB  (Uint8Array.set, the floor)`);
  } finally {
    await sim.close();
  }
}

async function forwarding() {
  const size = 32 * MiB;
  const data = new Uint8Array(size);
  randomFillSync(data);
  // plain TCP forward: sender -> proxy -> receiver, all Node, same machine
  const sink = net.createServer();
  let received = 0, done;
  const finished = new Promise((r) => { done = r; });
  sink.on("connection", (s) => s.on("data", (d) => { received += d.length; if (received >= size) done(); }));
  await new Promise((r) => sink.listen(0, "127.0.0.1", r));
  const proxy = net.createServer((client) => {
    const out = net.connect(sink.address().port, "127.0.0.1");
    client.pipe(out);
  });
  await new Promise((r) => proxy.listen(0, "127.0.0.1", r));
  const t0 = process.hrtime.bigint();
  const sender = net.connect(proxy.address().port, "127.0.0.1");
  for (let at = 0; at < size; at += 2031) sender.write(data.subarray(at, Math.min(size, at + 2031)));
  await finished;
  const plainMs = Number(process.hrtime.bigint() - t0) / 1e6;
  sender.destroy();
  sink.close();
  proxy.close();
  // the relay: two Node clients (the same 2031-byte writes, each sealed, opened, resealed by the relay, opened)
  const relay = await startRelay();
  const a = await NodeRelayClient.connect({ port: relay.port, relayKey: relay.publicKey });
  const b = await NodeRelayClient.connect({ port: relay.port, relayKey: relay.publicKey });
  const ida = await a.route(b.publicKey);
  const on = b.next("connect");
  await b.route(a.publicKey);
  await on;
  let got = 0;
  const hash = createHash("sha256");
  const all = new Promise((r) => b.on("data", (id, d) => { hash.update(d); got += d.length; if (got >= size) r(); }));
  const t1 = process.hrtime.bigint();
  a.send(ida, data);
  await all;
  const relayMs = Number(process.hrtime.bigint() - t1) / 1e6;
  const intact = hash.digest("hex") === createHash("sha256").update(data).digest("hex");
  a.end();
  b.end();
  await relay.close();
  console.log(`forwarding ${size / MiB} MiB between two Node clients on this machine`);
  console.log(`  plain TCP forward   ${plainMs.toFixed(0)} ms  ${rate(size, plainMs)} MiB/s`);
  console.log(`  through the relay   ${relayMs.toFixed(0)} ms  ${rate(size, relayMs)} MiB/s  (${(rate(size, relayMs) / rate(size, plainMs)).toFixed(3)} of plain; SHA-256 ${intact ? "intact" : "MISMATCH"})`);
  console.log("                      (both clients and the relay share one Node process: 3 seals/opens per packet in pure JS)");
}

async function device() {
  const relay = await startRelay();
  try {
    const size = 512 * 1024;
    const t0 = Date.now();
    const report = await runScenario({ scenario: "exchange", port: relay.port, relayKey: relay.keyHex, size, timeout: 60000 });
    const ms = Date.now() - t0;
    const ok = report.cases.every((c) => c.ok) && report.done;
    console.log(`two device clients in one XS, through the relay: ${size / 1024} KiB each way at once`);
    console.log(`  ${ms} ms for the whole scenario (connects, handshakes, 2 x ${size / 1024} KiB)  ~${rate(2 * size, ms)} MiB/s both ways  ${ok ? "" : "FAILED"}`);
  } finally {
    await relay.close();
  }
}

async function links() {
  prepareNoble();
  const relay = await startRelay({ pingInterval: 0 });
  const ring = 512;
  const counts = [];
  for (const n of [1, 33]) {
    const sim = await Simulator.start({ manifest: MANIFEST, config: { relayTest: {} } });
    try {
      await sim.crank(`importNow("test/device/relay/bench").open(${relay.port}, "${relay.keyHex}", 240, ${ring});`);
      for (let i = 0; i < 200 && (await sim.crank(`return importNow("test/device/relay/bench").state();`)).result !== "open"; i++) await new Promise((r) => setTimeout(r, 10));
      await sim.crank(`importNow("test/device/relay/bench").addLinks(${n});`);
      for (let i = 0; i < 200 && (await sim.crank(`return importNow("test/device/relay/bench").waiting();`)).result < n; i++) await new Promise((r) => setTimeout(r, 10));
      await sim.crank(`gc();`);
      counts.push((await sim.crank(`gc();`)).meter.currentHeapCount);
      await sim.crank(`importNow("test/device/relay/bench").closeAll();`);
    } finally {
      await sim.close();
    }
  }
  const perLink = (counts[1] - counts[0]) / 32;
  // the relay: one connection holding 240 waiting slots, heap before and after
  const a = await NodeRelayClient.connect({ port: relay.port, relayKey: relay.publicKey });
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 240; i++) await a.route(crypto.publicKeyOf(crypto.newKeyPair((x) => randomFillSync(x)).secretKey));
  const refused = await a.route(crypto.publicKeyOf(crypto.newKeyPair((x) => randomFillSync(x)).secretKey));
  gc();
  const after = process.memoryUsage().heapUsed;
  a.end();
  await relay.close();
  console.log("links held at once, and memory per link");
  console.log(`  relay: 240 slots per connection (the 241st request answered ${refused}); a connection's table is 240 entries`);
  console.log(`         heap per used slot ~${Math.round((after - before) / 240)} bytes (one connection, 240 waiting slots; includes the test client's own bookkeeping)`);
  console.log(`  device: ${perLink.toFixed(0)} heap slots per link (33 links vs 1, after gc) + its two rings (${ring} + ${ring} bytes of chunks here; 4096 + 4096 by default)`);
  console.log(`          a slot is 16 bytes on the ESP32 (32 on this 64-bit host): ~${perLink * 16 + 2 * ring} bytes per link on a board with these rings; maxLinks up to 240`);
}

await xsCrypto();
await forwarding();
await device();
await links();
