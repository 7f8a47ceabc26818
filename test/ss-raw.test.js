// Raw Secure Streams (modules/ss, ss/raw) in XS over tls/client (and ss/tcp for "tls": false) against real servers
// on 127.0.0.1: the lws state sequences of an echo, a nailed-up stream, a refused tx length, DISCONNECT_ME and a peer close with its retry.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as servers from "./support/servers.js";
import { testPolicy, runSS, closedPort } from "./device/ss/servers.js";

const CASES = [
  "raw-echo-state-sequence",
  "raw-plain-tcp-echo-when-the-policy-says-tls-false",
  "raw-echo-64k-through-mtu-tx",
  "raw-nailed-up-connects-at-create",
  "raw-tx-longer-than-mtu-is-refused-and-logged",
  "raw-disconnect-me-on-opportunistic-stays-disconnected",
  "raw-disconnect-me-retries-when-not-opportunistic",
  "raw-peer-close-delivers-every-byte-then-retries",
];

const REPLY = 70001;
const echo = await servers.tlsEcho();
const plain = await servers.tcpEcho();
const reply = await servers.tlsReplyClose(REPLY);
const refused = await closedPort();
let report;
try {
  report = await runSS("raw", testPolicy({ echo: echo.port, reply: reply.port, https: refused, refused, rogue: refused,
    silent: refused, bad: refused, tcp: plain.port }), { replySize: REPLY });
} finally {
  await echo.close();
  await plain.close();
  await reply.close();
}

test("ss-raw: the device suite ran to the end in XS without an abort, reporting every case once, in order", () => {
  assert.is(report.aborted, null);
  assert.ok(report.done, `no done line:\n${report.traces.join("\n")}`);
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`ss-raw: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
}

test("ss-raw: every stream was destroyed", () => {
  assert.ok(report.traces.includes("streams left 0"), "streams left");
});

test.run();
