// The Secure Streams API (modules/ss) in XS, no server: create()'s refusals (unknown stream type, mqtt not bound
// yet, plain TCP not bound, bad info, CREATING answered DESTROY_ME), destroy in and out of callbacks, callbacks that
// throw, metadata, a destroyed handle, limits, a refused transition, and a protocol bound through the context.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { testPolicy, runSS, closedPort } from "./device/ss/servers.js";

const CASES = [
  "create-refuses-an-unknown-stream-type",
  "create-refuses-mqtt-until-a-protocol-is-bound",
  "create-refuses-plain-tcp-without-a-connector",
  "create-refuses-bad-info",
  "creating-answered-destroy-me-refuses-create",
  "create-then-destroy-twice",
  "destroy-inside-a-callback-waits-for-it-to-return",
  "a-callback-that-throws-is-logged-and-destroys-the-stream",
  "a-destroyed-handle-answers-as-failed",
  "metadata-set-and-get",
  "peer-tx-credit-is-zero-for-raw-and-h1",
  "state-names-as-lws",
  "change-handlers-replaces-only-what-is-given",
  "max-streams",
  "a-refused-transition-destroys-the-stream-with-a-logged-reason",
  "a-bound-protocol-serves-its-stream-type",
];

const closed = await closedPort();
const report = await runSS("api", testPolicy({ echo: closed, reply: closed, https: closed, refused: closed, rogue: closed,
  silent: closed, bad: closed, tcp: closed }));

test("ss-api: the device suite ran to the end in XS without an abort, reporting every case once, in order", () => {
  assert.is(report.aborted, null);
  assert.ok(report.done, `no done line:\n${report.traces.join("\n")}`);
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`ss-api: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
}

test("ss-api: every stream was destroyed", () => {
  assert.ok(report.traces.includes("streams left 0"), "streams left");
});

test.run();
