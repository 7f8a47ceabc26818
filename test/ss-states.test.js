// Secure Streams state transitions (modules/ss/states.ts) inside XS: the table against lws v4.4.5's, every illegal
// transition refused as "A -> B", and the transition logs of lws' minimal examples replayed, case by case as
// test/device/ss/states.ts reports them.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runDevice } from "./support/device.js";

const report = await runDevice("test/device/ss/states", { manifest: "test/device/ss/manifest.json" });

// Every case of test/device/ss/states.ts, in the order it runs them: the device must report exactly these.
const CASES = [
  "table-matches-lws-listing-ss",
  "table-matches-lws-listing-sspc",
  "replay-hugeurl-captive-portal-detect",
  "replay-hugeurl-httpbin-anything",
  "replay-mqtt-mosq-tls",
  "replay-server-hello-world",
  "replay-sink-hello-world",
  "replay-perf-proxied-mintest",
  "replay-rt595-sspc-mintest",
  "replay-ssproxy-uart-fetch-policy",
  "replay-peers-proxy-h1-get-then-poll",
  "illegal-transition-refused-naming-a-to-b",
  "first-state-is-creating-or-destroying",
  "destroying-is-final",
  "user-states-waved-through-and-state-kept",
  "event-wait-cancelled-waved-by-both-checkers",
  "upstream-link-retry-ss-waves-sspc-refuses",
  "sink-states-are-bad-new-states",
  "bad-existing-state-refused",
  "mqtt-acks-may-repeat",
  "lws-main-additions-refused-as-v4-4-5",
  "junk-never-throws",
];

test("ss-states: the device suite ran to the end in XS without an abort, reporting every case once, in order", () => {
  assert.is(report.aborted, null);
  assert.ok(report.done, "no `done` line");
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`ss-states: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
}

test.run();
