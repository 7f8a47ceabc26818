// `npm start`: the simulator boots, runs the default app in XS, shows the TLS round trip, and exits 0.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

test("npm start: timers, TCP and TLS round trips from inside XS, exit 0", async () => {
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
