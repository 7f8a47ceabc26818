// The tunnel's API and stream table (modules/ministream/tunnel) inside XS, two tunnels joined in memory with
// services the device test drives by hand: the cases of test/device/ministream-tunnel.ts, one test each.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runDevice } from "./support/device.js";

const report = await runDevice("ministream-tunnel-test", { manifest: "test/device/ministream/manifest.json", timeout: 60000 });

// Every case of test/device/ministream-tunnel.ts, in the order it runs them: the device must report exactly these.
const CASES = [
  "open-without-a-link-is-ms-link-lost",
  "bad-options-are-ms-bad-argument",
  "open-past-max-streams-is-ms-table-full",
  "syn-past-max-accepted-is-refused-with-close",
  "service-up-late-is-acked-then-carries-bytes-both-ways",
  "service-failing-is-ms-refused",
  "no-ack-within-connect-timeout-is-ms-timeout",
  "a-stream-closed-before-its-ack-gets-the-late-server-stream-closed",
  "service-end-drains-then-closes-the-stream",
  "close-sends-what-the-tx-ring-holds-first",
  "link-lost-fails-every-stream-and-closes-their-services",
  "ids-skip-000000-and-live-ids",
  "default-ids-are-distinct-and-valid",
  "wait-refuses-bad-arguments-and-a-fifth-wait",
  "one-tunnel-at-each-end-in-both-roles-over-one-link",
  "read-and-write-refuse-bad-spans",
];

test("ministream tunnel: device suite ran to the end in XS without an abort, reporting every case once, in order", () => {
  assert.is(report.aborted, null);
  assert.not.ok(report.timedOut, "the device did not finish");
  assert.ok(report.done, "no `done` line");
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`ministream tunnel: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
}

test("ministream tunnel: the refusals and timeouts were logged with their reasons", () => {
  const has = (words) => report.traces.some((line) => line.includes(words));
  assert.ok(has("refused: 1 accepted streams, the most allowed (maxAccepted)"), "maxAccepted refusal");
  assert.ok(has("refused: the service is not there"), "failed service");
  assert.ok(has("MS_TIMEOUT no ACK to the SYN"), "connect timeout");
  assert.ok(has("S2C_ACK for unknown id"), "late ACK answered");
});

test.run();
