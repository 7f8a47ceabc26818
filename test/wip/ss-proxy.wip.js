// Serialized Secure Streams in XS (modules/ss/serial, proxy, sspc): golden frames of ../shared/peers.md byte for
// byte (each case names the lws function it follows), then our client through our proxy to real servers on
// 127.0.0.1: raw echo, h1 GET, the lws failure frame for an unknown type, 10,000 random frames, a proxy restart.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as servers from "./support/servers.js";
import { runDevice } from "./support/device.js";
import { testPolicy, httpsServer, closedPort } from "./device/ss/servers.js";

const CASES = [
  "golden-streamtype-lws_sspc_txp_tx-LPCSCLI_SENDING_INITIAL_TX",
  "golden-create-result-ok-lws_ssproxy_txp_proxy_can_write-REPORTING_OK",
  "golden-create-result-fail-lws_ssproxy_txp_proxy_can_write-REPORTING_FAIL",
  "golden-connstate-lws_ss_serialize_state",
  "golden-onward-connect-and-destroying",
  "golden-tx-payload-lws_sspc_txp_tx-TX_PAYLOAD",
  "golden-rx-payload-payload-at-offset-19",
  "golden-metadata-name-length-name-value",
  "frame-bounds-need-more-vs-bad",
  "proxied-raw-echo",
  "proxied-h1-get",
  "unknown-streamtype-gets-the-lws-failure-frame",
  "10000-random-frames-leave-the-proxy-serving",
  "proxy-restart-gives-disconnected-then-a-clean-reconnect",
  "open-context-chooses-by-configuration",
  "bench-bytes-and-compute-per-payload-byte",
];

const echo = await servers.tlsEcho();
const https = await httpsServer();
const refused = await closedPort();
const proxyPort = await closedPort();
const proxyPort2 = await closedPort();
let report;
try {
  report = await runDevice("test/device/ss-proxy/proxy", {
    manifest: "test/device/ss-proxy/manifest.json", timeout: 120000,
    config: {
      policy: testPolicy({ echo: echo.port, reply: refused, https: https.port, refused, rogue: refused, silent: refused,
        bad: refused, tcp: refused }),
      proxyPort, proxyPort2,
    },
  });
} finally {
  await echo.close();
  await https.close();
}
for (const line of report.traces) if (/^(states|fuzz|bench)/.test(line)) console.log(line);

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

test("ss-proxy: every proxied stream was destroyed", () => {
  assert.ok(report.traces.includes("streams left 0"), "streams left");
});

test.run();
