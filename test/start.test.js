// `npm start`: the simulator boots the telemetry app (apps/telemetry) in XS against the embedded broker it starts
// (--broker: aedes over TLS on 127.0.0.1, an mqtt.js monitor printing "monitor: <topic> <payload>"), the app
// publishes its config count of readings and ends by itself, and the simulator exits 0. Also: sim/main.js with the
// root manifest (apps/device: the TLS round trip) and an XS abort's exit status.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);

test("npm start: the telemetry app's 20 readings and its summary arrive at the monitor in order, it ends by itself, exit 0", async () => {
  const script = JSON.parse(readFileSync("package.json", "utf8")).scripts.start;
  assert.match(script, "--manifest apps/telemetry/manifest.json --broker");
  const started = Date.now();
  // the script as it is, on any free port (8883, the policy's, may be taken on a shared machine)
  const { stdout } = await run("npm", ["start", "--silent", "--", "--broker-port", "0"], { timeout: 60000 });
  const elapsed = Date.now() - started;
  assert.match(stdout, /^fieldsim: broker \(aedes, TLS\) on 127\.0\.0\.1:\d+, monitor subscribed to #$/m);
  const monitor = stdout.split("\n").filter((l) => l.startsWith("monitor: "));
  assert.is(monitor.length, 21, stdout);
  assert.is(monitor[20], 'monitor: field/7/readings {"unit":"7","final":true,"readings":20,"dropped":0}');
  monitor.slice(0, 20).forEach((line, i) => {
    const m = /^monitor: field\/7\/readings (\{.*\})$/.exec(line);
    assert.ok(m, line);
    const r = JSON.parse(m[1]);
    assert.is(r.seq, i + 1, line);
    assert.is(r.unit, "7");
    assert.is(r.dropped, 0);
    assert.type(r.t, "number");
    assert.type(r.h, "number");
  });
  assert.match(stdout, "telemetry: done, 20 readings, 21 acknowledged, dropped 0");
  assert.match(stdout, "telemetry: state LWSSSCS_DESTROYING");
  assert.ok(elapsed < 20000, `took ${elapsed} ms`);
});

test("sim/main.js --help documents --broker and --broker-port; --broker-port alone is bad usage (64)", async () => {
  const { stdout } = await run(process.execPath, ["sim/main.js", "--help"]);
  assert.match(stdout, "--broker ");
  assert.match(stdout, "--broker-port PORT");
  assert.match(stdout, "monitor: <topic> <payload>");
  const error = await run(process.execPath, ["sim/main.js", "--broker-port", "0"]).then(() => null, (e) => e);
  assert.is(error?.code, 64);
  assert.match(error.stderr, "--broker-port needs --broker");
});

test("sim/main.js with the root manifest (apps/device): timers, TCP and TLS round trips from inside XS, exit 0", async () => {
  const { stdout } = await run(process.execPath, ["sim/main.js", "--timeout", "30000"], { timeout: 60000 });
  assert.match(stdout, "demo: timer tick 3");
  assert.match(stdout, 'demo: tcp round trip: "ping over tcp"');
  assert.match(stdout, 'demo: tls round trip: "ping over tls" (certificate verified for localhost)');
  assert.match(stdout, "demo: done");
});

test("simulator: an exception escaping device code is an XS abort with a non-zero exit", async () => {
  const error = await run(process.execPath, ["sim/main.js", "--app", "test/device/throws", "--no-demo-servers"], { timeout: 60000 })
    .then(() => null, (e) => e);
  assert.ok(error, "exited 0");
  assert.is(error.code, 1);
  assert.match(error.stdout, "XS abort: unhandled exception");
  assert.match(error.stdout, "thrown from a timer callback");
});

test.run();
