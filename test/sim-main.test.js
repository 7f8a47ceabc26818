// `node sim/main.js` (npm start) as a user meets it: a real --help (options and exit codes), a --manifest taken
// from the current directory, and one clear line for a manifest that is not there.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MAIN = path.join(ROOT, "sim/main.js");

function main(args, cwd = ROOT) {
  return new Promise((resolve) => execFile(process.execPath, [MAIN, ...args], { cwd, timeout: 60000 },
    (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr })));
}

test("sim/main.js --help: the options, what they do, and the exit codes", async () => {
  const { code, stdout, stderr } = await main(["--help"]);
  assert.is(code, 0);
  assert.is(stderr, "");
  for (const option of ["--manifest FILE", "--app MODULE", "--timeout MS", "--config JSON", "--device JSON", "--no-demo-servers", "--help"]) {
    assert.ok(stdout.includes(option), `--help lists ${option}`);
  }
  assert.match(stdout, /relative FILE is\s+taken from the current directory/);
  assert.match(stdout, /Exit status:\n  0 [^\n]*idle[^\n]*\n  1 [^\n]*XS abort[^\n]*\n  2 [^\n]*--timeout[^\n]*\n  3 [^\n]*could not start[^\n]*\n  64 [^\n]*bad usage/);
});

test("sim/main.js --manifest: a relative path is taken from the current directory", async () => {
  const dir = path.join(ROOT, "test/conformance/dns-localhost");
  const { code, stdout, stderr } = await main(["--manifest", "manifest.json", "--no-demo-servers", "--timeout", "20000"], dir);
  assert.is(code, 0, stderr);
  assert.is(stdout, "ok dns-localhost\ndone\n", "the case's own app ran, not the project's");
});

test("sim/main.js --manifest that is not there: one line naming where it looked, exit 64", async () => {
  const { code, stdout, stderr } = await main(["--manifest", "nope.json"], path.join(ROOT, "test"));
  assert.is(code, 64);
  assert.is(stdout, "");
  assert.is(stderr, `fieldsim: no manifest at ${path.join(ROOT, "test/nope.json")} (a relative --manifest is taken from the current directory, ${path.join(ROOT, "test")})\n(node sim/main.js --help for the usage)\n`);
});

test.run();
