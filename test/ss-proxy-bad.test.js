// Bad input at either end of the serialized Secure Streams link (modules/ss/proxy, ss/sspc), in XS against a real
// echo server on 127.0.0.1: an unknown prefix, a length beyond the buffer, metadata for an unknown name, a payload
// before the create result, each refused by closing that link alone with its reason logged while a bystander stream
// keeps echoing; 10,000 random frames leave the proxy serving; a client that does not read is held by flow control
// (its ring, then the onward stream paused) and gets every byte once it reads.
import os from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as servers from "./support/servers.js";
import { runDevice } from "./support/device.js";
import { closedPort } from "./device/ss/servers.js";
import { proxyPolicy } from "./device/ss-proxy/policy.js";

const CASES = [
  "proxy-closes-on-an-unknown-prefix",
  "proxy-closes-on-a-length-beyond-the-buffer",
  "proxy-closes-on-metadata-for-an-unknown-name",
  "proxy-closes-on-a-payload-before-the-create-result",
  "client-closes-on-an-unknown-prefix",
  "client-closes-on-a-length-beyond-the-buffer",
  "client-closes-on-a-metadata-name-longer-than-its-frame",
  "client-closes-on-metadata-for-an-unknown-name-beyond-its-table",
  "client-closes-on-a-payload-before-the-create-result",
  "10000-random-frames-leave-the-proxy-serving",
  "a-client-that-does-not-read-is-held-by-flow-control-then-gets-every-byte-and-others-are-untouched",
];

const echo = await servers.tlsEcho();
const refused = await closedPort();
let report;
try {
  report = await runDevice("test/device/ss-proxy/bad", {
    manifest: "test/device/ss-proxy/manifest.json", timeout: 150000,
    config: {
      policy: proxyPolicy({ echo: echo.port, reply: refused, https: refused, refused, rogue: refused, silent: refused,
        bad: refused, tcp: refused }),
      proxyPort: await closedPort(), fakePort: await closedPort(),
      unixPath: path.join(os.tmpdir(), `ss-proxy-bad-${process.pid}.sock`),
    },
  });
} finally {
  await echo.close();
}
for (const line of report.traces) if (process.env.SS_TRACE || /^(fuzz|slow client|not ok)/.test(line)) console.log(line);

test("ss-proxy-bad: the device suite ran to the end without an abort, every case once, in order", () => {
  assert.is(report.aborted, null);
  assert.ok(report.done, `no done line:\n${report.traces.slice(-40).join("\n")}`);
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`ss-proxy-bad: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
}

test("ss-proxy-bad: every stream at the proxy was destroyed", () => {
  assert.ok(report.traces.includes("streams left 0"), "streams left");
});

test.run();
