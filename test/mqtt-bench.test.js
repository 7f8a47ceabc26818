// What the MQTT client costs inside XS, read from XS's own meter (deterministic): compute per published message at
// QoS 0 and QoS 1 (PUBACK read and matched), next to the codec alone, and the heap after thousands of messages and
// decodes. The client talks to an in-XS broker (test/device/common/local-broker.ts): no network, no TLS.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Simulator } from "../sim/simulator.js";

const sim = await Simulator.start({ manifest: "test/device/mqtt/manifest.json" });
const BATCH = 32; // messages per crank: the broker's PUBACKs are handled in the crank's promise jobs

/** Compute per unit of `call` (with N replaced by the count), less the same crank with N = 0. */
async function perUnit(call, batches) {
  let base = 0, total = 0;
  for (let i = 0; i < batches; i++) {
    base += (await sim.crank(`const b = importNow("mqtt-bench"); meter(); ${call.replace("N", "0")};`)).meter.compute;
    total += (await sim.crank(`const b = importNow("mqtt-bench"); meter(); ${call.replace("N", String(BATCH))};`)).meter.compute;
  }
  return (total - base) / (BATCH * batches);
}

const heap = async () => (await sim.crank(`gc();`)).meter.currentHeapCount;
const state = async () => (await sim.crank(`return importNow("mqtt-bench").state();`)).result;

test("mqtt bench: the client connects to the in-XS broker", async () => {
  await sim.crank(`importNow("mqtt-bench").setup();`);
  assert.equal(await state(), { state: "connected", published: 0, inflight: 0, queued: 0, dropped: 0 });
});

test("mqtt bench: XS compute per published message (64-byte payload), QoS 0 and QoS 1, next to the codec alone", async () => {
  await perUnit("b.publishMany(N, 1)", 4); // warm up
  const figures = {};
  for (const qos of [0, 1]) {
    figures[`publish QoS ${qos}`] = await perUnit(`b.publishMany(N, ${qos})`, 32);
    figures[`encode QoS ${qos}`] = await perUnit(`b.encodeMany(N, ${qos})`, 32);
  }
  const decode = await perUnit("b.decodeMany(N)", 32);
  console.log("\n  mqtt: XS compute per message (64-byte payload, topic dev/bench/t), broker in XS, no TLS:");
  for (const qos of [0, 1]) {
    const publish = figures[`publish QoS ${qos}`], encode = figures[`encode QoS ${qos}`];
    console.log(`    publish QoS ${qos}  ${publish.toFixed(0).padStart(6)}   (codec alone: encode ${encode.toFixed(0)}; the in-XS broker's share is included)`);
  }
  console.log(`    decode PUBLISH ${decode.toFixed(0).padStart(5)}`);
  const s = await state();
  assert.is(s.dropped, 0, "nothing dropped: each batch is acknowledged before the next");
  assert.is(s.inflight, 0, "every QoS 1 message acknowledged");
  // The client's own work (with the broker's few header reads) stays within 3x the bare encode.
  for (const qos of [0, 1]) assert.ok(figures[`publish QoS ${qos}`] < 3 * figures[`encode QoS ${qos}`], JSON.stringify(figures));
});

test("mqtt bench: 4,096 QoS 1 messages leave the XS heap slot count unchanged after gc (against as many empty cranks)", async () => {
  // Each crank leaves one slot of the simulator's own bookkeeping: the same number of empty cranks is the baseline.
  const cranks = 4096 / BATCH;
  await sim.crank(`importNow("mqtt-bench").publishMany(${BATCH}, 1);`);
  let before = await heap();
  for (let i = 0; i < cranks; i++) await sim.crank(`importNow("mqtt-bench");`);
  const empty = (await heap()) - before;
  before = await heap();
  for (let i = 0; i < cranks; i++) await sim.crank(`importNow("mqtt-bench").publishMany(${BATCH}, 1);`);
  const after = await heap();
  assert.ok(after - before - empty <= 2, `heap grew ${after - before} slots over ${cranks} cranks of publishing, ${empty} over as many empty ones`);
  assert.is((await state()).dropped, 0);
});

test("mqtt bench: decoding 10,000 packets leaves the XS heap slot count unchanged after gc", async () => {
  await sim.crank(`importNow("mqtt-bench").decodeMany(10);`);
  const before = await heap();
  const { result } = await sim.crank(`return importNow("mqtt-bench").decodeMany(10000);`);
  const after = await heap();
  assert.is(result, 10000);
  assert.ok(after - before <= 2, `heap grew from ${before} to ${after} slots`);
});

test.after(async () => {
  await sim.crank(`importNow("mqtt-bench").close();`);
  await sim.close();
});

test.run();
