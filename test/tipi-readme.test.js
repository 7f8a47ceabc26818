// README.md's walk-through of the TIPI extension ("The TLS socket extension"), run exactly as printed: its shell
// block is taken from README.md and run by bash in a terminal (a pty, as a user's shell has: `&` jobs and
// `kill %1` behave as they do there), from the repository's root. It needs ports 8443 and 9924, as printed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import net from "node:net";
import { spawn, execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, sleep } from "./support/tipi.js";

/** The ```sh blocks of the README section whose heading starts with `heading`. */
function shellBlocks(heading) {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf(`\n## ${heading}`);
  assert.ok(start >= 0, `README.md has a section "${heading}"`);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

const free = (port) => new Promise((resolve) => {
  const probe = net.createServer();
  probe.once("error", () => resolve(false));
  probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
});

/** The live processes of session `sid` (every process the block started stays in it; zombies are not counted). */
function sessionProcesses(sid) {
  let text = "";
  try {
    text = execFileSync("ps", ["-o", "pid=,stat=", "-s", String(sid)], { encoding: "utf8" });
  } catch {
    return []; // ps exits 1 when there is none
  }
  return text.split("\n").map((line) => line.trim().split(/\s+/)).filter(([pid, stat]) => pid && !stat?.startsWith("Z")).map(([pid]) => Number(pid));
}

test("readme: the TIPI walk-through runs as printed: ok, ok, the response, ok, the fetch; and it all stops", async () => {
  const blocks = shellBlocks("The TLS socket extension");
  assert.is(blocks.length, 1, "one shell block");
  const block = blocks[0];
  assert.match(block, /npx tipi serve/);
  for (const port of [8443, 9924]) {
    let ok = await free(port);
    for (let i = 0; !ok && i < 100; i++) ok = (await sleep(100), await free(port)); // another run may be ending
    assert.ok(ok, `port ${port} is free for the README's servers`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "tipi-readme-"));
  const file = path.join(dir, "block.sh");
  const out = path.join(dir, "stdout");
  const err = path.join(dir, "stderr");
  const sidFile = path.join(dir, "sid");
  writeFileSync(file, block);
  // script(1) gives bash a terminal; `-m` job control, as an interactive shell has; `-e` stops at a failing line.
  const run = spawn("script", ["-q", "-e", "-c", `echo $$ > ${sidFile}; bash -m -e ${file} > ${out} 2> ${err}`, "/dev/null"],
    { cwd: ROOT, stdio: "ignore" });
  let sid;
  try {
    const code = await new Promise((resolve) => {
      const timer = setTimeout(() => { run.kill(); resolve("timeout"); }, 90000);
      run.on("exit", (c) => { clearTimeout(timer); resolve(c); });
    });
    sid = Number(readFileSync(sidFile, "utf8"));
    const stdout = readFileSync(out, "utf8");
    const stderr = readFileSync(err, "utf8");
    assert.is(code, 0, `the block failed (${code}):\n${stdout}\n${stderr}`);
    const response = /^HTTP\/1\.1 200 OK\r\n[\s\S]*?\r\n\r\nhello from the tipi test server: you asked for \/\n/;
    const [opened, wrote, ...rest] = stdout.split("\n");
    assert.is(opened, "ok", "open");
    assert.is(wrote, "ok", "write");
    const after = rest.join("\n");
    assert.match(after, response, "read: the server's answer to the GET the README's printf sent");
    const closed = after.replace(response, "");
    assert.ok(closed.startsWith("ok\n"), `close: ${closed}`);
    assert.match(closed.slice(3), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello from the tipi test server: you asked for \/status\n$/, "fetch");
    assert.match(stderr, /^tipi: simulated device listening on 127\.0\.0\.1:9924; it trusts O=Moddable Field Test, CN=Field Test Root CA from test\/fixtures\/certs\/ca\.pem \(PEM, converted to DER\)/m);
    assert.match(stderr, /^device: tipi: open 0 localhost:8443 -> ok$/m);
    assert.not.match(stderr, /XS abort|internal error/);
    // `kill %1` stopped the device and its test server: nothing of the session is left
    for (let i = 0; i < 50 && sessionProcesses(sid).length; i++) await sleep(100);
    assert.equal(sessionProcesses(sid), [], "the servers the block started are gone");
  } finally {
    if (sid) for (const pid of sessionProcesses(sid)) try { process.kill(pid); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
