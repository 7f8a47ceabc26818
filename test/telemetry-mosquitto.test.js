// The telemetry app (apps/telemetry) and an mqtt Secure Stream in XS against Debian's mosquitto over TLS (a broker
// no one here wrote; test/device/mqtt/mosquitto.js starts it with `mosquitto -c <conf>` and stops it), seen by an
// mqtt.js subscriber: every reading in order; then mosquitto killed mid-run and restarted on the same port after an
// outage long enough to overflow the outbox, with every kept QoS 1 reading delivered in order and the drop count
// exact. No mosquitto: these tests fail with the reason (apt-get install -y mosquitto), they never skip.
import fs from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runDevice } from "./support/device.js";
import { certs } from "./support/servers.js";
import { runSS } from "./device/ss/servers.js";
import { mosquittoBinary, startMosquitto, persistentSubscriber } from "./device/mqtt/mosquitto.js";

const TOPIC = "field/7/readings";
const summaryOf = (messages) => messages.filter((m) => m.topic === TOPIC).map((m) => JSON.parse(m.payload)).find((m) => m.final === true);
const policyFor = (port) => fs.readFileSync("apps/telemetry/policy.txt", "utf8").replace(/"port": 8883/, `"port": ${port}`);
const telemetry = (port, { count, interval, outboxSize = 2048, linger = 1500, timeout = 20000 }) => runDevice("main", {
  manifest: "apps/telemetry/manifest.json", timeout,
  config: { policy: policyFor(port), telemetry: { intervalMs: interval, count, outboxSize, lingerMs: linger, unit: "7", policy: "policy.txt" } },
});
/** Readings by seq, first copy of each (a QoS 1 retransmission after a reconnect may come twice). */
function unique(messages) {
  const seen = new Set(), out = [];
  for (const m of messages.filter((m) => m.topic === TOPIC).map((m) => ({ ...JSON.parse(m.payload), qos: m.qos }))) {
    if (m.seq !== undefined && !seen.has(m.seq)) { seen.add(m.seq); out.push(m); }
  }
  return out;
}

test("mosquitto: installed (no skipping: the reason is the failure)", () => {
  assert.ok(mosquittoBinary());
});

test("mosquitto: the telemetry app's readings all reach an mqtt.js subscriber, in order, at QoS 1", async () => {
  const broker = await startMosquitto();
  const sub = await persistentSubscriber(broker.port, "field/#", "sub-plain");
  try {
    const COUNT = 15;
    const run = await telemetry(broker.port, { count: COUNT, interval: 100 });
    assert.is(run.aborted, null);
    // COUNT readings and the closing summary, all acknowledged
    assert.ok(run.traces.some((l) => l === `telemetry: done, ${COUNT} readings, ${COUNT + 1} acknowledged, dropped 0`), run.traces.slice(-20).join("\n"));
    await sub.waitFor((m) => m.length >= COUNT + 1, 3000);
    const got = sub.messages.filter((m) => m.topic === TOPIC);
    assert.equal(got.map((m) => JSON.parse(m.payload).seq), [...Array.from({ length: COUNT }, (_, i) => i + 1), undefined]);
    assert.ok(got.every((m) => m.qos === 1 && JSON.parse(m.payload).dropped === 0));
    assert.equal(summaryOf(sub.messages), { unit: "7", final: true, readings: COUNT, dropped: 0 });
    assert.ok(broker.log.some((l) => /New client connected .* as telemetry-7/.test(l)), broker.log.join("\n"));
  } finally {
    await sub.close();
    await broker.stop();
  }
});

test("mosquitto: an ss mqtt stream publishes at QoS 1 and gets its subscription's retained message as rx", async () => {
  const broker = await startMosquitto();
  const sub = await persistentSubscriber(broker.port, "ss/+/up", "sub-ss");
  try {
    await sub.client.publishAsync("ss/7/down", "hello", { qos: 1, retain: true });
    const policy = JSON.stringify({
      release: "ss-mqtt-mosquitto", product: "field-tls-firmware", "schema-version": 1,
      retry: [{ quick: { backoff: [100], conceal: 5, jitterpc: 1 } }],
      certs: [{ fixture_ca: certs.caDer.toString("base64") }],
      trust_stores: [{ name: "fixture", stack: ["fixture_ca"] }],
      s: [{ mq: {
        endpoint: "localhost", port: broker.port, protocol: "mqtt", tls: true, tls_trust_store: "fixture", retry: "quick",
        nailed_up: true, metadata: [{ unit: "" }, { topic: "" }, { clientid: "" }],
        mqtt_topic: "ss/${unit}/up", mqtt_subscribe: "ss/${unit}/down", mqtt_qos: 1, mqtt_keep_alive: 30,
        mqtt_clean_start: true, mqtt_will_topic: "ss/${unit}/status", mqtt_will_message: "gone", mqtt_will_qos: 1,
      } }],
    });
    const report = await runSS("mqtt", policy);
    assert.is(report.aborted, null);
    assert.ok(report.done, report.traces.join("\n"));
    for (const c of report.cases) assert.ok(c.ok, `${c.name}: ${c.why}`);
    assert.is(report.cases.length, 4);
    await sub.waitFor((m) => m.length >= 3, 3000);
    assert.equal(sub.messages.map((m) => `${m.topic} ${m.payload} q${m.qos}`), ["ss/7/up m0 q1", "ss/7/up m1 q1", "ss/7/up m2 q1"]);
  } finally {
    await sub.close();
    await broker.stop();
  }
});

test("mosquitto killed mid-run and restarted: every kept QoS 1 reading delivered in order, the drop count exact", async () => {
  // the aedes test's scenario (test/telemetry.test.js): 40 readings 100 ms apart, the broker down from 1.5 s to 4 s
  const COUNT = 40, INTERVAL = 100;
  let broker = await startMosquitto();
  const { port, dir } = broker;
  const sub = await persistentSubscriber(port, "field/#", "sub-outage");
  const killed = [];
  try {
    const outage = (async () => {
      await new Promise((r) => setTimeout(r, 1500));
      await broker.stop("SIGTERM"); // mosquitto saves the subscriber's session, as a service restart does
      killed.push(Date.now());
      await new Promise((r) => setTimeout(r, 2500));
      broker = await startMosquitto({ port, dir });
    })();
    const run = await telemetry(port, { count: COUNT, interval: INTERVAL, outboxSize: 768, linger: 3000, timeout: 25000 });
    await outage;
    assert.is(run.aborted, null);
    const done = run.traces.find((l) => l.startsWith("telemetry: done"));
    assert.ok(done, run.traces.slice(-40).join("\n"));
    assert.ok(killed.length === 1, "mosquitto was not stopped");
    const acknowledged = Number(/(\d+) acknowledged/.exec(done)[1]);
    await sub.waitFor((m) => summaryOf(m) !== undefined && unique(m).length + 1 >= acknowledged, 5000);
    const readings = unique(sub.messages);
    const seqs = readings.map((r) => r.seq);
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `out of order: ${seqs.join(",")}`);
    assert.is(seqs[seqs.length - 1], COUNT, seqs.join(","));
    assert.ok(readings.every((r) => r.qos === 1));
    const lost = COUNT - readings.length;
    assert.ok(lost > 0, "nothing was dropped: the outage was too short for the outbox");
    const summary = summaryOf(sub.messages);
    assert.ok(summary, "no summary message");
    assert.is(summary.readings, COUNT);
    assert.is(summary.dropped, lost, `the summary says ${summary.dropped}, ${lost} missing: ${seqs.join(",")}`);
    assert.is(acknowledged, readings.length + 1, "every delivered reading and the summary acknowledged, nothing else");
    for (let i = 1; i < readings.length; i++) assert.ok(readings[i].dropped >= readings[i - 1].dropped, "a reading's count never goes down");
    const last = readings[readings.length - 1].dropped;
    assert.ok(last === lost || last === lost - 1, `the last reading says ${last}: at most its own drop behind ${lost}`);
    assert.ok(done.endsWith(`dropped ${lost}`), done);
    console.log(`    mosquitto outage: ${COUNT} readings, ${readings.length} delivered, ${lost} dropped, ${sub.messages.length - readings.length} duplicates`);
  } finally {
    await sub.close();
    await broker.stop();
  }
});

test.run();
