// Secure Streams constants (modules/ss/constants.ts) inside XS: lws' names and numbers, case by case as
// test/device/ss/constants.ts reports them.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runDevice } from "./support/device.js";

const report = await runDevice("test/device/ss/constants", { manifest: "test/device/ss/manifest.json" });

// Every case of test/device/ss/constants.ts, in the order it runs them: the device must report exactly these.
const CASES = [
  "connection-state-values-as-lws-header",
  "connection-states-on-the-wire-as-peers-observed",
  "state-names-as-lws-ss-state-name",
  "state-name-user-unknown-and-junk",
  "callback-results-as-lws",
  "payload-flags-as-lws",
  "creation-flags-as-lws",
  "sizes-and-defaults",
  "serialization-prefixes-proxy-to-client",
  "serialization-prefixes-client-to-proxy",
  "proxy-link-states-and-names",
  "transport-mux-prefixes",
];

test("ss-constants: the device suite ran to the end in XS without an abort, reporting every case once, in order", () => {
  assert.is(report.aborted, null);
  assert.ok(report.done, "no `done` line");
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`ss-constants: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
}

test.run();
