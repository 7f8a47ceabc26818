// The MQTT client's outbox (modules/mqtt/outbox) inside XS: the cases of test/device/mqtt-outbox.ts, one test each.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runDevice } from "./support/device.js";

const report = await runDevice("mqtt-outbox-test", { manifest: "test/device/mqtt/manifest.json" });

// Every case of test/device/mqtt-outbox.ts, in the order it runs them.
const CASES = [
  "outbox-starts-empty",
  "outbox-sends-in-order-qos0-reclaimed",
  "outbox-qos1-waits-for-puback",
  "outbox-out-of-order-puback",
  "outbox-full-drops-oldest-counted",
  "outbox-drops-in-flight-messages-too",
  "outbox-records-stay-whole-across-the-wrap",
  "outbox-rewind-sets-dup-and-resends-in-order",
  "outbox-rewind-skips-acknowledged",
  "outbox-too-large-never-fits",
  "outbox-random-run-matches-a-model",
];

test("mqtt outbox: device suite ran to the end in XS without an abort, reporting every case once, in order", () => {
  assert.is(report.aborted, null);
  assert.not.ok(report.timedOut, "the device did not finish");
  assert.ok(report.done, "no `done` line");
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`mqtt outbox: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
}

test.run();
