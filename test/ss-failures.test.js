// How Secure Streams (modules/ss) fail, in XS against real servers on 127.0.0.1: refused connection
// (UNREACHABLE), untrusted certificate (AUTH_FAILED), retries exhausted through the policy's backoff table with
// each wait measured (ALL_RETRIES_FAILED), and the stream's own timeout (TIMEOUT).
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as servers from "./support/servers.js";
import { testPolicy, runSS, closedPort } from "./device/ss/servers.js";

const CASES = [
  "refused-connection-is-unreachable-then-all-retries-failed",
  "refused-plain-tcp-is-unreachable",
  "untrusted-certificate-is-auth-failed",
  "auth-failed-retried-without-poll-then-all-retries-failed",
  "retries-exhausted-after-the-backoff-table",
  "timeout-from-policy-while-waiting-for-a-response",
  "timeout-ok-then-disconnect-me-retries",
  "cancel-timeout-stops-it",
  "unreachable-ack-argument-and-state-numbers",
];

const rogue = await servers.untrusted();
const silent = await servers.tlsSink();
const closed = await closedPort();
let report;
try {
  report = await runSS("failures", testPolicy({ echo: closed, reply: closed, https: closed, refused: closed,
    rogue: rogue.port, silent: silent.port, bad: closed, tcp: closed }));
} finally {
  await rogue.close();
  await silent.close();
}

test("ss-failures: the device suite ran to the end in XS without an abort, reporting every case once, in order", () => {
  assert.is(report.aborted, null);
  assert.ok(report.done, `no done line:\n${report.traces.join("\n")}`);
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`ss-failures: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
}

test("ss-failures: the untrusted server saw handshakes but no completed one", () => {
  assert.is(rogue.secureConnections, 0);
  assert.ok(rogue.connections >= 3, `${rogue.connections} connections (1 + 2 for the retried type)`);
});

test("ss-failures: every stream was destroyed", () => {
  assert.ok(report.traces.includes("streams left 0"), "streams left");
});

test.run();
