// Malformed broker packets through Secure Streams: an mqtt stream (test/device/ss/mqtt-bad.ts, in XS) to a fake TLS
// broker (test/device/mqtt/support.js fakeBroker: a real TLS server with the fixture certificates) that answers
// each CONNECT with garbage. Every case fails cleanly: no XS abort, the reason in the log (MQTT_BAD_PACKET or
// MQTT_PROTOCOL, naming what was wrong), the connection dropped and retried per the policy until
// ALL_RETRIES_FAILED (after a good CONNACK: CONNECTED and DISCONNECTED each time), and destroy() leaves no stream.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { certs } from "./support/servers.js";
import { runSS } from "./device/ss/servers.js";
import { fakeBroker } from "./device/mqtt/support.js";

const CASES = {
  "connack-too-long": { bytes: [0x20, 3, 0, 0, 0], reason: "MQTT_BAD_PACKET bad packet from the broker: CONNACK with Remaining Length 3, must be 2" },
  "reserved-type-0": { bytes: [0x00, 0x00], reason: "MQTT_BAD_PACKET bad packet from the broker: unknown packet type 0 (Reserved)" },
  "remaining-length-5-bytes": { bytes: [0x20, 0xff, 0xff, 0xff, 0xff, 0x7f], reason: "MQTT_BAD_PACKET bad packet from the broker: Remaining Length longer than 4 bytes" },
  "publish-before-connack": { bytes: [0x30, 5, 0, 3, 0x61, 0x2f, 0x62], reason: "MQTT_PROTOCOL the broker's first packet was PUBLISH, not CONNACK" },
  "64-bytes-of-ff": { bytes: Array(64).fill(0xff), reason: "MQTT_BAD_PACKET bad packet from the broker: unknown packet type 15 (Reserved)" },
  "garbage-after-connack": { bytes: [0x20, 2, 0, 0, 0xf0, 0], reason: "MQTT_BAD_PACKET bad packet from the broker: unknown packet type 15 (Reserved)" },
};
const CONCEAL = 2;

function policy(port) {
  return JSON.stringify({
    release: "ss-mqtt-malformed", product: "field-tls-firmware", "schema-version": 1,
    retry: [{ quick: { backoff: [100], conceal: CONCEAL, jitterpc: 1 } }],
    certs: [{ fixture_ca: certs.caDer.toString("base64") }],
    trust_stores: [{ name: "fixture", stack: ["fixture_ca"] }],
    s: [{ mq: { endpoint: "localhost", port, protocol: "mqtt", tls: true, tls_trust_store: "fixture", retry: "quick", nailed_up: true, mqtt_topic: "a/b", mqtt_qos: 1 } }],
  });
}

for (const [name, { bytes, reason }] of Object.entries(CASES)) {
  test(`ss-mqtt malformed broker: ${name} fails cleanly with its reason logged`, async () => {
    const fake = await fakeBroker(Buffer.from(bytes));
    let run;
    try {
      run = await runSS("mqtt-bad", policy(fake.port), {}, 20000);
    } finally {
      await fake.close();
    }
    const log = run.traces.join("\n");
    assert.is(run.aborted, null, log);
    assert.not.ok(run.timedOut, log);
    assert.ok(run.traces.includes("done"), log);
    assert.ok(!run.traces.some((l) => l.startsWith("not ok")), log);
    const lost = run.traces.filter((l) => l === `ss: mq|1: connection lost: ${reason}` || l.startsWith(`ss: mq|1: connection lost: ${reason} (`));
    assert.is(lost.length, CONCEAL + 1, `each of the ${CONCEAL + 1} attempts logs "${reason}":\n${log}`);
    assert.is(fake.received.length, CONCEAL + 1, "one connection per attempt");
    const states = run.traces.find((l) => l.startsWith("states "));
    if (name === "garbage-after-connack") {
      // The CONNACK was good: each attempt is CONNECTED before the garbage drops it (lws gives the state when the
      // CONNACK is read, not after what follows it in the same read), and since lws resets the retry count at a
      // CONNACK the stream retries without end: the device destroys it after 3 such losses.
      assert.is(states, `states CREATING${" CONNECTING CONNECTED DISCONNECTED POLL".repeat(CONCEAL + 1).replace(/ POLL$/, "")} DESTROYING`);
    } else assert.match(states, / ALL_RETRIES_FAILED DESTROYING$/, states);
    assert.ok(run.traces.includes("streams left 0"), log);
  });
}

test.run();
