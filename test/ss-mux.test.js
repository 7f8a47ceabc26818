// Secure Streams' serialized proxy over one byte link: lws v4.4.5's transport mux (modules/ss/mux), in XS against
// real servers on 127.0.0.1. test/device/ss-mux/wire.ts: each mux command's bytes as lws puts them on the wire
// (the case names the lws function), both roles, and bad input (unknown channel, CHANNEL_CLOSE, an unknown
// command, RESET_TRANSPORT, no PONG, the link closing, random bytes). test/device/ss-mux/streams.ts: our client
// (ss/sspc) through our proxy (ss/proxy) over one mux link (a TCP connection standing in for the UART): raw echo,
// h1 GET, mqtt, several streams at once, channels opened and closed, a link reset by a garbage byte and the
// recovery, a channel whose reader is slow. test/device/ss-mux/serial.ts: the proxy on a serial port
// (`embedded:io/serial` on a pty, as the SDK's Linux serial opens one), our client reaching the pty's other side
// through a python bridge (test/support/pty-bridge.js): echo, h1, two streams, line noise and recovery.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as servers from "./support/servers.js";
import { runDevice } from "./support/device.js";
import { httpsServer, closedPort } from "./device/ss/servers.js";
import { proxyPolicy } from "./device/ss-proxy/policy.js";
import { startBroker } from "./device/mqtt/support.js";
import { startPtyBridge } from "./support/pty-bridge.js";

const WIRE = [
  "golden-reset-and-ping-at-start-F9-F6-lws_transport_mux_pending",
  "golden-pong-F7-echo-then-own-time-lws_transport_mux_pending",
  "golden-pongack-F8-unixtime-lws_transport_mux_pending-link-up",
  "a-pong-with-the-wrong-echo-is-ignored",
  "pongack-received-takes-the-link-up-lws_transport_mux_rx_parse",
  "golden-channel-req-F0-ff-then-F0-fe-lws_transport_mux_pending",
  "golden-channel-ack-F1-lws_transport_mux_pending-PENDING_CREATE_CHANNEL_ACK",
  "a-full-proxy-refuses-a-channel-with-F2",
  "mux-for-an-unknown-channel-is-skipped-and-answered-F2",
  "channel-close-F3-is-answered-F4-and-ends-the-channel",
  "unknown-command-resets-the-link-and-it-recovers",
  "reset-transport-F9-takes-the-receivers-link-down",
  "no-pong-within-the-grace-takes-the-link-down",
  "the-link-socket-closing-ends-every-channel",
  "random-bytes-never-throw",
];

const STREAMS = [
  "mux-raw-echo",
  "mux-h1-get-with-metadata-both-ways",
  "mux-mqtt-publish-and-subscribe-as-local",
  "mux-many-streams-over-one-link",
  "mux-channels-opened-and-closed",
  "mux-link-reset-by-a-garbage-byte-then-recovery",
  "mux-slow-reader-holds-the-link-not-memory",
];

const SERIAL = [
  "serial-link-comes-up",
  "serial-raw-echo-and-two-streams-at-once",
  "serial-h1-get",
  "serial-line-noise-resets-the-link-and-it-recovers",
];

function cases(label, report, names) {
  test(`${label}: the device suite ran to the end without an abort, every case once, in order`, () => {
    assert.is(report.aborted, null);
    assert.ok(report.done, `no done line:\n${report.traces.slice(-40).join("\n")}`);
    assert.equal(report.cases.map((c) => c.name), names);
  });
  for (const name of names) {
    test(`${label}: ${name}`, () => {
      const c = report.cases.find((c) => c.name === name);
      assert.ok(c, "not reported");
      assert.ok(c.ok, c.why);
    });
  }
}

const only = process.env.SS_MUX_ONLY;
if (!only || only === "wire") {
  const wire = await runDevice("test/device/ss-mux/wire", {
    manifest: "test/device/ss-mux/manifest.json", timeout: 60000, config: { fakePort: await closedPort() },
  });
  for (const line of wire.traces) if (process.env.SS_TRACE || /^(fuzz|not ok)/.test(line)) console.log(line);
  cases("ss-mux wire", wire, WIRE);
}

if (!only || only === "streams") {
  const echo = await servers.tlsEcho();
  const https = await httpsServer();
  const refused = await closedPort();
  const broker = await startBroker();
  let report;
  try {
    report = await runDevice("test/device/ss-mux/streams", {
      manifest: "test/device/ss-mux/manifest.json", timeout: 120000,
      config: {
        policy: proxyPolicy({ echo: echo.port, reply: refused, https: https.port, refused, rogue: refused, silent: refused,
          bad: refused, tcp: refused, mqtt: broker.port }),
        linkPort: await closedPort(), linkPort2: await closedPort(),
      },
    });
  } finally {
    await echo.close();
    await https.close();
    await broker.close();
  }
  for (const line of report.traces) if (process.env.SS_TRACE || /^(states|slow|not ok)/.test(line)) console.log(line);
  cases("ss-mux streams", report, STREAMS);
  test("ss-mux streams: every stream at the proxy was destroyed", () => {
    assert.ok(report.traces.includes("streams left 0"), "streams left");
  });
}

if (!only || only === "serial") {
  const echo = await servers.tlsEcho();
  const https = await httpsServer();
  const refused = await closedPort();
  let bridge;
  let report;
  try {
    bridge = await startPtyBridge();
    const { device, port } = bridge;
    report = await runDevice("test/device/ss-mux/serial", {
      manifest: "test/device/ss-mux/manifest.json", timeout: 90000,
      config: {
        policy: proxyPolicy({ echo: echo.port, reply: refused, https: https.port, refused, rogue: refused, silent: refused,
          bad: refused, tcp: refused }),
        serial: { device, baud: 115200 }, bridgePort: port,
      },
    });
  } finally {
    bridge?.close();
    await echo.close();
    await https.close();
  }
  for (const line of report.traces) if (process.env.SS_TRACE || /^not ok/.test(line)) console.log(line);
  cases("ss-mux serial", report, SERIAL);
  test("ss-mux serial: every stream at the proxy was destroyed", () => {
    assert.ok(report.traces.includes("streams left 0"), "streams left");
  });
}

test.run();
