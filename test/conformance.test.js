// The conformance suite (test/conformance/README.md): each folder of test/conformance is a device app asserting
// one rule of the board (README, "What the simulator reproduces"). Each runs here in the simulator against its fixture server, with every board
// rule on; its trace lines and the way the run ended must meet the case's expectation (test/support/conformance.js).
// One uvu test per case, one assertion per `ok` / `not ok` line, plus the end of the run (abort or `done`).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CASES, FIXTURES, caseFolders, caseManifest, runCase, expectation } from "./support/conformance.js";

const folders = caseFolders();
const timings = [];

test("conformance: every case folder has a row in the table, every row a folder", () => {
  assert.equal(folders.filter((name) => !CASES[name]), [], "folders without a row in CASES");
  assert.equal(Object.keys(CASES).filter((name) => !folders.includes(name)), [], "rows of CASES without a folder");
});

for (const name of folders) {
  test(`conformance: ${name}`, async () => {
    const spec = CASES[name];
    assert.ok(spec, "no row in CASES (test/support/conformance.js)");
    const manifest = caseManifest(name);
    assert.equal(manifest.modules?.main, "./main", "manifest maps `main` to ./main");
    if (spec.fixture) {
      // A run in the SDK's simulator uses the manifest's default port: it must be where serve.js puts the fixture.
      assert.is(manifest.config?.port, FIXTURES[spec.fixture].port, `manifest config.port is serve.js's port for ${spec.fixture}`);
    }
    const run = await runCase(name);
    timings.push([name, run.ms]);
    for (const check of expectation(name, run)) assert.ok(check.ok, `${check.name}: ${check.why}`);
  });
}

test.after(() => {
  if (!process.env.CONFORMANCE_TIMINGS) return;
  const total = timings.reduce((sum, [, ms]) => sum + ms, 0);
  console.log("");
  for (const [name, ms] of timings) console.log(`  ${String(ms).padStart(6)} ms  ${name}`);
  console.log(`  ${String(total).padStart(6)} ms  total in the simulator (${timings.length} cases)`);
});

test.run();
