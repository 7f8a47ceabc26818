// The MQTT 3.1.1 codec (modules/mqtt/packet) inside XS: the cases of test/device/mqtt-packet.ts, one test each.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runDevice } from "./support/device.js";

const report = await runDevice("mqtt-packet-test", { manifest: "test/device/mqtt/manifest.json" });

// Every case of test/device/mqtt-packet.ts, in the order it runs them: the device must report exactly these.
const CASES = [
  "connect-minimal-bytes",
  "connect-full-bytes",
  "connect-roundtrip",
  "connect-bad-arguments-refused",
  "connect-malformed-refused",
  "connack-accepted",
  "connack-return-codes-named",
  "connack-bad-return-code-refused",
  "connack-bad-length-refused",
  "connack-reserved-bits-refused",
  "publish-qos0-bytes",
  "publish-qos1-dup-retain-bytes",
  "publish-roundtrip-utf8-topic-binary-payload",
  "publish-text-payload-may-hold-u0000",
  "publish-empty-payload",
  "publish-bad-arguments-refused",
  "publish-malformed-refused",
  "puback-bytes-and-decode",
  "puback-malformed-refused",
  "subscribe-bytes-and-roundtrip",
  "subscribe-malformed-refused",
  "suback-granted-and-failure",
  "suback-malformed-refused",
  "unsubscribe-and-unsuback",
  "ping-and-disconnect",
  "remaining-length-boundaries",
  "remaining-length-over-4-bytes-refused",
  "truncated-needs-more",
  "decoder-reads-only-the-length-given",
  "two-packets-in-one-buffer",
  "oversize-refused-from-the-fixed-header",
  "encode-into-too-small-buffer-refused",
  "unknown-packet-type-refused",
  "topic-names-filters-and-utf8",
  "decoder-is-total-on-random-and-mutated-bytes",
];

test("mqtt packet: device suite ran to the end in XS without an abort, reporting every case once, in order", () => {
  assert.is(report.aborted, null);
  assert.not.ok(report.timedOut, "the device did not finish");
  assert.ok(report.done, "no `done` line");
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`mqtt packet: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
}

test.run();
