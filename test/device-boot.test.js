// The device app's boot in the simulator, as on a board: join the Wi-Fi (hosts/esp32/network.ts over the simulated
// station), set the clock from NTP before any TLS (hosts/esp32/clock.ts over the simulated NTP client and clock),
// then TLS. The simulator's device clock can start unset, as a board's does: then a TLS connection made before the
// clock is set fails the board's way ("date validation failed"), which is what the clock step is for.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Simulator } from "../sim/simulator.js";
import { startDemoServers } from "../sim/demo-servers.js";

const servers = await startDemoServers();
const demo = { tlsHost: "localhost", ca: "ca.der", ...servers.config };

/** Run an app until idle (or `timeout`); returns { aborted, timedOut, traces }. */
async function boot({ manifest = "manifest.json", config = {}, device = {}, timeout = 20000 } = {}) {
  const sim = await Simulator.start({ manifest, config: { demo, ...config }, device });
  try {
    const { aborted, timedOut, traces } = await sim.run("main", { timeout });
    return { aborted, timedOut, traces: [...traces] };
  } finally {
    await sim.close();
  }
}

const has = (traces, pattern) => traces.some((line) => (typeof pattern === "string" ? line.includes(pattern) : pattern.test(line)));
const before = (traces, a, b) => traces.findIndex((l) => l.includes(a)) < traces.findIndex((l) => l.includes(b));

test("a cold board: Wi-Fi, then the clock from NTP (it read 1970), then TLS verifies", async () => {
  const { aborted, timedOut, traces } = await boot({ device: { clock: "unset" } });
  assert.is(aborted, null);
  assert.is(timedOut, false);
  assert.ok(has(traces, /^network: joined "simulated" as 192\.168\.4\.\d+ \(attempt 1\)$/), traces.join("\n"));
  assert.ok(has(traces, /^clock: reads 1970-01-01T00:00:0\d\.\d+Z, not set: asking pool\.ntp\.org, time\.google\.com before any TLS$/), traces.join("\n"));
  assert.ok(has(traces, /^clock: set from NTP to 20\d\d-.* \(it read 1970-/), traces.join("\n"));
  assert.ok(has(traces, 'demo: tls round trip: "ping over tls" (certificate verified for localhost)'), traces.join("\n"));
  assert.ok(before(traces, "clock: set from NTP", "demo: tls round trip"));
  assert.ok(has(traces, "device: ready"));
});

test("the board's failure when device code forgets the time: TLS with the clock unset fails date validation", async () => {
  const { traces } = await boot({ manifest: "apps/demo/manifest.json", device: { clock: "unset" } });
  assert.ok(has(traces, 'demo: tcp round trip: "ping over tcp"'), traces.join("\n"));
  assert.ok(has(traces, /^demo: FAILED TLS_CERT_EXPIRED .*date validation failed/), traces.join("\n"));
  assert.not.ok(has(traces, "demo: tls round trip:"));
});

test("the same app with the clock set (the simulator's default) verifies the certificate", async () => {
  const { traces } = await boot({ manifest: "apps/demo/manifest.json" });
  assert.ok(has(traces, 'demo: tls round trip: "ping over tls"'), traces.join("\n"));
});

test("no time server and the clock unset: TLS waits, asking again with backoff", async () => {
  const { aborted, timedOut, traces } = await boot({
    device: { clock: "unset", timeServer: "down", ntpTryMs: 20 },
    config: { clock: { servers: ["pool.ntp.org"], retryMs: 100, retryMaxMs: 200 } },
    timeout: 1500,
  });
  assert.is(aborted, null);
  assert.is(timedOut, true, "it keeps trying");
  const waits = traces.filter((l) => l.startsWith("clock: no time server answered (pool.ntp.org); the clock reads 1970-"));
  assert.ok(waits.length >= 2, traces.join("\n"));
  assert.match(waits[0], 'so every certificate would fail "date validation failed": TLS waits; asking again in 100 ms');
  assert.match(waits[1], "asking again in 200 ms");
  assert.not.ok(has(traces, "demo: tls round trip"), "no TLS before the clock is set");
});

test("no time server but the clock already valid (kept across a restart): TLS goes ahead, NTP in the background", async () => {
  const { traces } = await boot({
    device: { clock: "2026-06-01T00:00:00Z", timeServer: "down", ntpTryMs: 20 },
    config: { clock: { servers: ["pool.ntp.org"], retryMs: 5000 } },
    timeout: 3000,
  });
  assert.ok(has(traces, /^clock: reads 2026-06-01T00:00:0.*after validAfter: TLS can start; setting it from pool\.ntp\.org in the background$/), traces.join("\n"));
  assert.ok(has(traces, 'demo: tls round trip: "ping over tls"'), traces.join("\n"));
  assert.ok(has(traces, /^clock: no time server answered \(pool\.ntp\.org\); keeping the clock's own time 2026-06-01T/), traces.join("\n"));
});

test("Wi-Fi refused: retried with backoff, then (attempts set) the device stops with the reason", async () => {
  const { traces } = await boot({
    device: { wifi: { ssid: "field", password: "right" } },
    config: { wifiSSID: "field", wifiPassword: "wrong", network: { retryMs: 10, retryMaxMs: 20, attempts: 3 } },
  });
  assert.equal(traces.filter((l) => l.startsWith("network: join failed (refused or out of range); retrying in")).map((l) => l.split(" in ")[1]),
    ["10 ms", "20 ms"]);
  assert.ok(has(traces, 'network: giving up on "field" after 3 attempts (refused or out of range)'), traces.join("\n"));
  assert.ok(has(traces, 'device: stopped: network: could not join "field" (refused or out of range)'));
  assert.not.ok(has(traces, "clock:"));
});

test("Wi-Fi: the right password joins", async () => {
  const { traces } = await boot({ device: { wifi: { ssid: "field", password: "right" } }, config: { wifiSSID: "field", wifiPassword: "right" } });
  assert.ok(has(traces, /^network: joined "field" as /), traces.join("\n"));
});

test("no SSID configured: the device says so and stops", async () => {
  const { traces } = await boot({ config: { wifiSSID: "" } });
  assert.ok(has(traces, "device: stopped: network: no Wi-Fi SSID configured (config.wifiSSID)"), traces.join("\n"));
});

test("broker: verified TLS, then each failure named (down, untrusted certificate), retried with backoff", async () => {
  const good = await boot({ config: { device: { demo: false }, broker: { host: "localhost", port: servers.config.tlsPort, ca: "ca.der" } } });
  assert.ok(has(good.traces, new RegExp(`^broker: TLS to localhost:${servers.config.tlsPort} up, certificate verified`)), good.traces.join("\n"));

  const down = await boot({ config: { device: { demo: false }, broker: { host: "localhost", port: 1, ca: "ca.der", retryMs: 10, attempts: 2 } } });
  assert.ok(has(down.traces, /^broker: localhost:1 failed: TLS_CONNECT_FAILED \(the broker is down or unreachable .*; retrying in 10 ms$/), down.traces.join("\n"));
  assert.ok(has(down.traces, /^broker: localhost:1 failed: TLS_CONNECT_FAILED .*; giving up$/), down.traces.join("\n"));

  const sim = await Simulator.start({
    config: { demo, device: { demo: false }, broker: { host: "localhost", port: servers.config.tlsPort, ca: "rogue-ca.der", attempts: 1 } },
    resources: { "rogue-ca.der": "test/fixtures/certs/rogue-ca.der" },
  });
  try {
    const { traces } = await sim.run("main", { timeout: 20000 });
    assert.ok(has(traces, /^broker: localhost:\d+ failed: TLS_CERT_UNTRUSTED \(untrusted certificate: .*board: TLS: certificate: auth err; giving up$/), traces.join("\n"));
  } finally {
    await sim.close();
  }
});

test.after(() => servers.close());
test.run();
