#!/usr/bin/env node
// `npm run budget`: the memory budget of the device app, measured by running apps/budget
//   - in our simulator's XS: live heap slots after a collection at each phase (xsnap's meter);
//   - in the SDK's instrumented Linux simulator (`mcconfig -i -m -p lin`), when an SDK is at hand ($MODDABLE built,
//     xvfb-run): slots, chunks and stack peak from its `instruments:` lines, in the samples of each phase;
//   - with --stress, the SDK run ends by opening TLS connections until XS runs out of memory: with the root
//     manifest's `creation` (incremental 0) that shows how many fit with those sizes.
// The SDK's simulator is 64-bit: a slot is 32 bytes there, 16 on an ESP32; `heap.initial` and `stack` count slots,
// so slot counts carry over to the board unchanged and slot bytes halve. Chunk bytes are the 64-bit figure (an
// upper bound for the board: chunks hold some slot-sized and pointer-sized data).
//
//   node test/support/budget.js [--no-sdk] [--no-ours] [--stress] [--heap SLOTS] [--chunk BYTES] [--json FILE]
// The SDK build uses the root manifest's `preload` and `creation` (--heap / --chunk override its initial sizes).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import dgram from "node:dgram";
import tls from "node:tls";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Simulator } from "../../sim/simulator.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const APP = path.join(ROOT, "apps/budget");
const CERTS = path.join(ROOT, "test/fixtures/certs");
const args = new Set(process.argv.slice(2));
const jsonOut = process.argv.includes("--json") ? process.argv[process.argv.indexOf("--json") + 1] : undefined;
const budgetConfig = JSON.parse(readFileSync(path.join(APP, "manifest.json"), "utf8")).config.budget;
const PHASES = ["base", ...Array.from({ length: budgetConfig.handles }, (_, i) => `tls-${i + 1}`), "tls-closed",
  "tipi-0", ...Array.from({ length: budgetConfig.handles }, (_, i) => `tipi-${i + 1}`), "tipi-closed"];

/** A TLS echo server with the fixture leaf + CA chain, on `port` (0: any). */
function tlsEcho(port) {
  const sockets = new Set();
  const server = tls.createServer({
    key: readFileSync(path.join(CERTS, "server.key")),
    cert: Buffer.concat([readFileSync(path.join(CERTS, "server.pem")), readFileSync(path.join(CERTS, "ca.pem"))]),
  }, (socket) => { socket.on("error", () => {}); socket.pipe(socket); });
  server.on("tlsClientError", () => {});
  server.on("connection", (s) => { sockets.add(s); s.on("close", () => sockets.delete(s)); });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve({
      port: server.address().port,
      close: () => new Promise((done) => { for (const s of sockets) s.destroy(); server.close(() => done()); }),
    }));
  });
}

/**
 * An NTP responder on 127.0.0.1:123 (the budget app's clock server in the SDK's simulator), so that the clock is set
 * before the first phase and no NTP retry is live during the measurement. Needs the right to bind port 123.
 */
function ntpResponder() {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (_message, from) => {
    const reply = Buffer.alloc(48);
    reply[0] = (4 << 3) | 4; // version 4, mode 4 (server)
    reply.writeUInt32BE(Math.floor(Date.now() / 1000) + 2208988800, 40); // transmit time, seconds since 1900
    socket.send(reply, from.port, from.address);
  });
  return new Promise((resolve) => {
    socket.once("error", (error) => {
      console.log(`sdk: no NTP responder on 127.0.0.1:123 (${error.code}): the clock's NTP retries run during the phases`);
      resolve({ close: () => {} });
    });
    socket.bind(123, "127.0.0.1", () => resolve({ close: () => socket.close() }));
  });
}

// ---- ours ----

async function ours() {
  const echo = await tlsEcho(0);
  const slots = {};
  const pending = [];
  let sim;
  try {
    sim = await Simulator.start({
      manifest: "apps/budget/manifest.json",
      config: { budget: { port: echo.port, phaseMs: 1500 } },
      onTrace: (line) => {
        const m = /^budget: phase (\S+)$/.exec(line);
        if (m) {
          // Half-way through the phase: the app is idle, collecting every 200 ms; collect once more and read.
          pending.push(new Promise((resolve) => setTimeout(resolve, 700)).then(() => sim.crank("gc();"))
            .then(({ meter }) => { slots[m[1]] = meter.currentHeapCount; }));
        }
        if (line.startsWith("budget: FAILED")) console.error(`ours: ${line}`);
      },
    });
    const result = await sim.run("main", { timeout: 120000 });
    await Promise.all(pending);
    if (result.aborted || result.timedOut) throw new Error(`ours: ${result.aborted ?? "timed out"}`);
  } finally {
    await sim?.close();
    await echo.close();
  }
  return slots;
}

// ---- the SDK ----

function sdkEnv() {
  const env = { ...process.env };
  if (!env.MODDABLE || !existsSync(path.join(env.MODDABLE, "build/bin/lin/release/mcsim"))) return undefined;
  env.PATH = `${path.join(env.MODDABLE, "build/bin/lin/release")}:${path.join(ROOT, "node_modules/.bin")}:${env.PATH}`;
  if (spawnSync("bash", ["-c", "command -v xvfb-run"], { env }).status !== 0) return undefined;
  return env;
}

/** Build `dir` instrumented and run it for `seconds`; resolves its output lines. */
function sdkRun(dir, seconds, env, until) {
  const name = path.basename(dir);
  const build = spawnSync("mcconfig", ["-i", "-m", "-p", "lin", "-t", "build"], { cwd: dir, env, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`sdk: build of ${dir} failed:\n${(build.stdout + build.stderr).split("\n").filter((l) => /error/i.test(l)).slice(0, 10).join("\n")}`);
  const so = path.join(env.MODDABLE, "build/bin/lin/mc/instrument", name, "mc.so");
  return new Promise((resolve) => {
    const child = spawn("timeout", [String(seconds), "xvfb-run", "-a", "stdbuf", "-o0", path.join(env.MODDABLE, "build/bin/lin/release/mcsim"), so],
      { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let text = "";
    const onData = (d) => {
      text += d;
      if (until && until(text)) try { process.kill(-child.pid, "SIGTERM"); } catch {}
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("close", () => resolve(text.split("\n")));
  });
}

/** Per phase: the smallest slots and chunks used and the largest stack used among the phase's samples. */
function parseSdk(lines) {
  let keys;
  let current;
  const phases = {};
  for (const line of lines) {
    if (line.startsWith("instruments key: ")) keys = line.slice(17).split(",");
    const p = /^budget: phase (\S+)$/.exec(line);
    if (p) current = phases[p[1]] = { slotBytes: Infinity, chunkBytes: Infinity, stackBytes: 0, samples: 0 };
    if (/^budget: end /.test(line)) current = undefined;
    if (line.startsWith("instruments: ") && keys) {
      const v = Object.fromEntries(line.slice(13).split(",").map((x, i) => [keys[i], Number(x)]));
      if (current) {
        current.samples++;
        current.slotBytes = Math.min(current.slotBytes, v["Slot used"]);
        current.chunkBytes = Math.min(current.chunkBytes, v["Chunk used"]);
        current.stackBytes = Math.max(current.stackBytes, v["Stack used"]);
      }
      phases.peakStack = Math.max(phases.peakStack ?? 0, v["Stack used"]);
      phases.peakSlots = Math.max(phases.peakSlots ?? 0, v["Slot used"]);
      phases.peakChunks = Math.max(phases.peakChunks ?? 0, v["Chunk used"]);
    }
  }
  return phases;
}

/**
 * The budget app built as the device app is (the root manifest's `preload` and `creation`, `creation` overridable
 * for exploring), in a manifest of its own in a temporary folder. With `stress`, it ends with the stress phase.
 */
function budgetBuild({ stress, heap, chunk }) {
  const rootManifest = JSON.parse(readFileSync(path.join(ROOT, "manifest.json"), "utf8"));
  const creation = structuredClone(rootManifest.creation);
  if (heap) creation.heap.initial = heap;
  if (chunk) creation.chunk.initial = chunk;
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), "budget-")), "budgetdevice");
  mkdirSync(dir);
  writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({
    include: [path.join(APP, "manifest.json")],
    preload: rootManifest.preload,
    creation,
    config: { budget: { stress: Boolean(stress) } },
  }, null, 2));
  return { dir, creation };
}

async function sdk(env, options) {
  const { dir, creation } = budgetBuild(options);
  const echo = await tlsEcho(budgetConfig.port);
  const ntp = await ntpResponder();
  try {
    const seconds = Math.ceil((PHASES.length * (budgetConfig.phaseMs + 800)) / 1000) + (options.stress ? 60 : 15);
    const end = options.stress ? /XS abort|budget: FAILED/ : /budget: done|budget: FAILED|XS abort/;
    const lines = await sdkRun(dir, seconds, env, (text) => end.test(text));
    const phases = parseSdk(lines);
    const failed = lines.find((l) => l.startsWith("budget: FAILED") || l.includes("XS abort"));
    const opened = lines.map((l) => /^budget: stress open (\d+)$/.exec(l)?.[1]).filter(Boolean).map(Number);
    if (failed && !(options.stress && opened.length)) throw new Error(`sdk: ${failed} (creation ${JSON.stringify(creation)})`);
    return { phases, creation, stress: options.stress ? { fit: opened.length ? Math.max(...opened) : 0, end: (failed ?? "(no abort)").trim() } : undefined };
  } finally {
    await echo.close();
    ntp.close();
    rmSync(path.dirname(dir), { recursive: true, force: true });
  }
}

// ---- report ----

const results = { phases: PHASES };
const flag = (name) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : undefined);
if (!args.has("--no-ours")) results.ours = await ours();
const env = args.has("--no-sdk") ? undefined : sdkEnv();
if (env) {
  const run = await sdk(env, { stress: args.has("--stress"), heap: flag("--heap"), chunk: flag("--chunk") });
  results.sdk = run.phases;
  results.creation = run.creation;
  results.stress = run.stress;
} else if (!args.has("--no-sdk")) console.log("sdk: not measured (set MODDABLE to a built SDK 8.2.3; needs xvfb-run)");

const n = budgetConfig.handles;
const perOpen = (values, first, last) => (values[last] - values[first]) / n;
console.log("phase          ours: slots |  SDK 64-bit: slots (bytes)  chunks   stack peak");
for (const phase of PHASES) {
  const o = results.ours?.[phase];
  const s = results.sdk?.[phase];
  const sdkText = s ? `${String(s.slotBytes / 32).padStart(11)} (${String(s.slotBytes).padStart(6)})  ${String(s.chunkBytes).padStart(6)}   ${String(s.stackBytes).padStart(6)}` : "-";
  console.log(`${phase.padEnd(14)} ${String(o ?? "-").padStart(11)} | ${sdkText}`);
}
if (results.ours) {
  const o = results.ours;
  // Per connection and per handle from the 1st to the last one opened (the first open also creates what stays).
  console.log(`ours: base ${o.base} slots; per TLS connection ${((o[`tls-${n}`] - o["tls-1"]) / (n - 1)).toFixed(0)} slots; TIPI server ${o["tipi-0"] - o["tls-closed"]} slots; per TIPI handle ${((o[`tipi-${n}`] - o["tipi-1"]) / (n - 1)).toFixed(0)} slots (device code only: our TLS session is in Node)`);
}
if (results.sdk) {
  const s = results.sdk;
  const slots = Object.fromEntries(PHASES.map((p) => [p, s[p].slotBytes / 32]));
  const chunks = Object.fromEntries(PHASES.map((p) => [p, s[p].chunkBytes]));
  console.log(`SDK (creation ${JSON.stringify(results.creation)}): base ${slots.base} slots + ${chunks.base} B chunks; ` +
    `per TLS connection ${perOpen(slots, "base", `tls-${n}`).toFixed(0)} slots + ${perOpen(chunks, "base", `tls-${n}`).toFixed(0)} B chunks; ` +
    `TIPI server ${slots["tipi-0"] - slots["tls-closed"]} slots + ${chunks["tipi-0"] - chunks["tls-closed"]} B chunks; ` +
    `per TIPI handle ${perOpen(slots, "tipi-0", `tipi-${n}`).toFixed(0)} slots + ${perOpen(chunks, "tipi-0", `tipi-${n}`).toFixed(0)} B chunks; ` +
    `stack peak ${s.peakStack / 32} slots (${s.peakStack} B)`);
}
if (results.stress) console.log(`SDK stress: ${results.stress.fit} TLS connections open at once, then: ${results.stress.end}`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
