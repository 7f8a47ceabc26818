#!/usr/bin/env node
// The test runner `npm test` calls: uvu over every test/*.test.js (uvu imports them all, then runs their suites in
// turn), then an exit with uvu's result. Without the explicit exit one handle left open by any test (a server, a
// child process) would keep Node running after the last line, and CI would wait for it until its time limit. What
// was still open is printed first, so a leak is reported rather than hidden.
//   node test/run.js [pattern]        (default: every file ending in .test.js)
import { parse } from "uvu/parse";
import { run } from "uvu/run";
import { Simulator } from "../sim/simulator.js";

const pattern = process.argv[2] ?? "\\.test\\.js$";
process.env.FORCE_COLOR ??= "1";
const { suites } = await parse("test", pattern, { cwd: process.cwd() });
await run(suites, { bail: false });

await new Promise((resolve) => setTimeout(resolve, 100)); // a worker that just exited releases its handle after its exit event
const open = process._getActiveHandles().filter((h) => h !== process.stdin && h !== process.stdout && h !== process.stderr);
if (open.length) {
  const describe = (h) => {
    const kind = h.constructor?.name ?? typeof h;
    if (kind === "ChildProcess") return `ChildProcess ${h.spawnfile} ${h.spawnargs?.slice(1).join(" ") ?? ""} (pid ${h.pid})`;
    if (kind === "Socket") return `Socket ${h.localAddress ?? ""}:${h.localPort ?? ""} -> ${h.remoteAddress ?? ""}:${h.remotePort ?? ""}`;
    if (kind === "Server") return `Server ${JSON.stringify(h.address?.())}`;
    return kind;
  };
  console.log(`test/run.js: still open after the last test: ${open.map(describe).join("; ")}`);
}
for (const where of Simulator.running.values()) console.log(`test/run.js: a simulator was not closed; started\n${where}`);
process.exit(process.exitCode ?? 0);
