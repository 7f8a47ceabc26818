// The telemetry app (apps/telemetry) in XS against aedes over TLS: the broker is killed mid-run and restarted on
// the same port after an outage long enough to overflow the outbox; every kept QoS 1 reading reaches the broker
// in order, and the drop count the app publishes is exact.
import fs from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runDevice } from "./support/device.js";
import { startBroker } from "./device/mqtt/support.js";

const COUNT = 40, INTERVAL = 100;
let broker = await startBroker();
const port = broker.port;
const logs = [broker.log];
const policy = fs.readFileSync("apps/telemetry/policy.txt", "utf8").replace(/"port": 8883/, `"port": ${port}`);
const outage = (async () => {
  await new Promise((r) => setTimeout(r, 1500));
  await broker.close();
  await new Promise((r) => setTimeout(r, 2500));
  broker = await startBroker({ port });
  logs.push(broker.log);
})();
const run = await runDevice("main", {
  manifest: "apps/telemetry/manifest.json", timeout: 12000,
  config: { policy, telemetry: { intervalMs: INTERVAL, count: COUNT, outboxSize: 768, lingerMs: 3000, unit: "7", policy: "policy.txt" } },
});
await outage;
await broker.close();

const messages = logs.flatMap((l) => l.publishes).filter((p) => p.topic === "field/7/readings").map((p) => JSON.parse(p.payload));
const readings = messages.filter((m) => m.seq !== undefined);
const summary = messages.find((m) => m.final === true);
const unique = [];
for (const r of readings) if (!unique.some((u) => u.seq === r.seq)) unique.push(r);
const done = run.traces.find((l) => l.startsWith("telemetry: done"));

test("telemetry: ran in XS without an abort and finished", () => {
  assert.is(run.aborted, null);
  assert.ok(done, run.traces.slice(-40).join("\n"));
});

test("telemetry: every kept reading reached the broker once at least, in order (DUPs aside)", () => {
  const seqs = unique.map((r) => r.seq);
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `out of order: ${seqs.join(",")}`);
  assert.is(seqs[seqs.length - 1], COUNT, seqs.join(","));
});

test("telemetry: the outage overflowed the outbox, and the published drop count is exact", () => {
  const lost = COUNT - unique.length;
  assert.ok(lost > 0, "nothing was dropped: the outage was too short for the outbox");
  assert.ok(summary, "no summary message");
  assert.is(summary.readings, COUNT);
  assert.is(summary.dropped, lost, `the summary says ${summary.dropped}, ${lost} missing`);
  for (let i = 1; i < unique.length; i++) {
    assert.ok(unique[i].dropped >= unique[i - 1].dropped, "each reading's count is the count when it was queued: never less than before");
  }
  const last = unique[unique.length - 1].dropped;
  assert.ok(last === lost || last === lost - 1, `the last reading says ${last}: at most its own drop behind ${lost}`);
  assert.ok(done.endsWith(`dropped ${lost}`), done);
  console.log(`    telemetry: ${COUNT} readings, ${unique.length} delivered, ${lost} dropped, ${readings.length - unique.length} duplicates`);
});

test.run();
