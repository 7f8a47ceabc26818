// The serialized Secure Streams proxy, both ends (modules/ss/proxy, ss/sspc over ss/serial), in XS against real
// servers on 127.0.0.1: what our client and our proxy put on their links, byte for byte as peers.md records lws
// 4.4.5 (each case names the lws function it follows), then raw echo, h1 GET with metadata both ways, mqtt publish
// and subscribe through aedes as on a local context, six streams
// over one proxy, the lws failure frame, the same app on a local or a proxied context chosen by configuration, a
// unix socket (simulator only), a listen retried while its port is taken, and a proxy restart.
import os from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as servers from "./support/servers.js";
import { runDevice } from "./support/device.js";
import { SERIAL_CASES } from "./device/ss-proxy/cases.js";
import { httpsServer, closedPort } from "./device/ss/servers.js";
import { proxyPolicy } from "./device/ss-proxy/policy.js";
import { startBroker } from "./device/mqtt/support.js";

const CASES = [
  ...SERIAL_CASES,
  "golden-wire-client-lws_sspc_txp_tx-STREAMTYPE-ONWARD_CONNECT-TX_PAYLOAD",
  "golden-wire-proxy-lws_ssproxy_txp_proxy_can_write-CREATE_RESULT-CONNSTATE-RX_PAYLOAD",
  "proxied-raw-echo",
  "proxied-h1-get-with-metadata-both-ways",
  "proxied-mqtt-publish-and-subscribe-as-local",
  "many-streams-over-one-proxy",
  "unknown-streamtype-gets-the-lws-failure-frame",
  "open-context-chooses-by-configuration",
  "unix-socket-proxy-in-the-simulator",
  "listen-retries-with-a-bounded-backoff-while-the-port-is-taken",
  "proxy-restart-gives-disconnected-then-a-clean-reconnect",
];

const echo = await servers.tlsEcho();
const https = await httpsServer();
const refused = await closedPort();
const broker = await startBroker();
const unixPath = path.join(os.tmpdir(), `ss-proxy-${process.pid}.sock`);
let report;
try {
  report = await runDevice("test/device/ss-proxy/proxy", {
    manifest: "test/device/ss-proxy/manifest.json", timeout: 120000,
    config: {
      policy: proxyPolicy({ echo: echo.port, reply: refused, https: https.port, refused, rogue: refused, silent: refused,
        bad: refused, tcp: refused, mqtt: broker.port }),
      proxyPort: await closedPort(), proxyPort2: await closedPort(), fakePort: await closedPort(),
      busyPort: await closedPort(), unixPath,
    },
  });
} finally {
  await echo.close();
  await https.close();
  await broker.close();
}
for (const line of report.traces) if (process.env.SS_TRACE || /^(states|not ok)/.test(line)) console.log(line);

test("ss-proxy: the device suite ran to the end without an abort, every case once, in order", () => {
  assert.is(report.aborted, null);
  assert.ok(report.done, `no done line:\n${report.traces.slice(-40).join("\n")}`);
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`ss-proxy: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
}

test("ss-proxy: every stream at the proxy was destroyed", () => {
  assert.ok(report.traces.includes("streams left 0"), "streams left");
});

test.run();
