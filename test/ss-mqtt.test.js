// mqtt Secure Streams (modules/ss/mqtt.ts over modules/mqtt) in XS against aedes over TLS on 127.0.0.1: CONNECTED
// after CONNACK, tx published at the policy's QoS and topic (with ${metadata}) seen by an mqtt.js subscriber, PUBACK
// as QOS_ACK_REMOTE, the subscription's PUBLISH as rx with SOM|EOM and its topic in metadata, the state sequence.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { certs } from "./support/servers.js";
import { runSS } from "./device/ss/servers.js";
import { startBroker, startMonitor } from "./device/mqtt/support.js";

const CASES = [
  "mqtt-connects-after-connack",
  "mqtt-tx-published-at-qos1-with-puback-as-qos-ack-remote",
  "mqtt-subscribe-delivers-rx-with-som-eom-and-topic-metadata",
  "mqtt-state-sequence",
];

function policy(port) {
  return JSON.stringify({
    release: "ss-mqtt-test", product: "field-tls-firmware", "schema-version": 1,
    retry: [{ quick: { backoff: [100], conceal: 5, jitterpc: 1 } }],
    certs: [{ fixture_ca: certs.caDer.toString("base64") }],
    trust_stores: [{ name: "fixture", stack: ["fixture_ca"] }],
    s: [{
      mq: {
        endpoint: "localhost", port, protocol: "mqtt", tls: true, tls_trust_store: "fixture", retry: "quick",
        nailed_up: true, metadata: [{ unit: "" }, { topic: "" }, { clientid: "" }],
        mqtt_topic: "ss/${unit}/up", mqtt_subscribe: "ss/${unit}/down", mqtt_qos: 1, mqtt_keep_alive: 30,
        mqtt_clean_start: true, mqtt_will_topic: "ss/${unit}/status", mqtt_will_message: "gone", mqtt_will_qos: 1,
      },
    }],
  });
}

const broker = await startBroker();
const monitor = await startMonitor(broker.port, ["ss/+/up"]);
await monitor.publish("ss/7/down", "hello", 1).then(() => monitor.client.publishAsync("ss/7/down", "hello", { qos: 1, retain: true }));
let report;
try {
  report = await runSS("mqtt", policy(broker.port));
  await monitor.waitFor(3, 2000).catch(() => {});
} finally {
  await monitor.close();
  await broker.close();
}

test("ss-mqtt: the device suite ran in XS without an abort, every case once, in order", () => {
  assert.is(report.aborted, null);
  assert.ok(report.done, `no done line:\n${report.traces.join("\n")}`);
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`ss-mqtt: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
}

test("ss-mqtt: the mqtt.js subscriber saw m0 m1 m2 on ss/7/up at QoS 1", () => {
  const up = monitor.messages.filter((m) => m.topic === "ss/7/up");
  assert.equal(up.map((m) => m.payload), ["m0", "m1", "m2"]);
  assert.ok(up.every((m) => m.qos === 1));
  const pubs = broker.log.publishes.filter((p) => p.topic === "ss/7/up");
  assert.ok(pubs.every((p) => p.client === "ss-mq" && p.qos === 1), JSON.stringify(pubs));
});

test("ss-mqtt: every stream was destroyed", () => {
  assert.ok(report.traces.includes("streams left 0"));
});

test.run();
