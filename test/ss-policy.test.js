// The Secure Streams policy parser (modules/ss/policy.ts) inside XS, on our own lws-layout policies in
// test/fixtures/policies: what loads and how, what is ignored and logged, and every refusal with its exact message,
// case by case as test/device/ss/policy.ts reports them.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runDevice } from "./support/device.js";

const report = await runDevice("test/device/ss/policy", { manifest: "test/device/ss/manifest.json" });

// Every case of test/device/ss/policy.ts, in the order it runs them: the device must report exactly these.
const CASES = [
  "field-device-loads",
  "raw-stream",
  "h1-get-stream",
  "h1-post-stream",
  "mqtt-stream-with-subscribe-and-will",
  "two-retry-tables",
  "trust-store-holds-ca-der",
  "policy-is-frozen",
  "lookup-by-stream-type",
  "retry-delay-follows-lws",
  "minimal-policy-loads",
  "ignored-fields-noted-and-logged",
  "refuses-bad-json",
  "refuses-bad-not-object",
  "refuses-bad-unknown-protocol",
  "refuses-bad-unsupported-protocol",
  "refuses-bad-port",
  "refuses-bad-unknown-trust-store",
  "refuses-bad-unknown-retry",
  "refuses-bad-too-deep",
  "refuses-bad-too-many-streams",
  "refuses-bad-unknown-cert",
  "refuses-bad-cert-base64",
  "refuses-bad-backoff-steps",
  "refuses-bad-undeclared-metadata",
  "refuses-bad-wrong-protocol-field",
  "refuses-bad-duplicate-stream",
  "refuses-bad-mqtt-qos",
  "refuses-bad-h1-no-method",
  "refuses-text-over-the-length-cap",
  "refuses-deep-nesting-before-json-parse",
  "refuses-too-many-values",
  "limits-are-configurable",
  "refusals-name-the-field",
  "a-refused-policy-leaves-the-loaded-one-alone",
];

test("ss-policy: the device suite ran to the end in XS without an abort, reporting every case once, in order", () => {
  assert.is(report.aborted, null);
  assert.ok(report.done, "no `done` line");
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`ss-policy: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
}

test.run();
