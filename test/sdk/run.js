#!/usr/bin/env node
// `npm run conformance:sdk`: run every conformance case (test/conformance) and the app entries below (APPS) in the
// real Moddable SDK's Linux simulator and in ours, judge both runs with the same expectation, and say where they
// disagree. The SDK's answer is the spec (../shared/moddable-sdk/README.md); test/sdk/README.md has the details.
//
//   node test/sdk/run.js [--jobs N] [--timeout SECONDS] [--fixtures-running] [case or app ...]
//
// One line per case: `<case>  sdk: ok|FAIL (<first failing check>)  ours: ok|FAIL (...)  same|DIFFERENT`, then
// `conformance:sdk: N cases, N agree, N disagree, N known` and the wall time. A disagreement listed in
// test/sdk/known.json is tolerated (and reported); a listed case that now agrees fails the run, so the list only
// shrinks. Exit code: 0 when every case agrees or is known, 1 otherwise, 2 when the run could not be set up.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CASES, CASES_DIR, FIXTURES, caseFolders, runCase, expectation, met } from "../support/conformance.js";
import { parseReport } from "../support/device.js";
import { certs } from "../support/servers.js";
import { startMosquitto } from "../device/mqtt/mosquitto.js";
import { Simulator } from "../../sim/simulator.js";
import { startDevice } from "../../client/tipi-sim.js";
import { TipiClient } from "../../client/tipi-client.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SETUP = path.resolve(ROOT, "../shared/moddable-sdk/setup.sh");
const KNOWN = path.join(ROOT, "test/sdk/known.json");
const LOGS = path.join(os.tmpdir(), "conformance-sdk");
const XS_ABORT = "XS abort: unhandled exception";
/**
 * After `done` or an abort, the SDK run is kept this long: an abort right after `done` is seen (ours runs until
 * idle), and so is what an abort hook traces after the abort line (see sdkExpectation).
 */
const GRACE_MS = 250;
/**
 * Time limits of runs in the SDK's simulator that need more than --timeout (default 20 s), from mcsim's start: the
 * larger counts. dns-unknown-onerror waits out the resolver's five one-second tries (onError after ~5 s, its
 * watchdog at 8 s).
 */
const TIMEOUTS = { "dns-unknown-onerror": 15000 };

// ---------------------------------------------------------------------------------------------------------------
// Apps: device apps other than the conformance cases, run the same way. Each entry:
//   name      the name on the command line and in the report (must not be a case's name)
//   folder    the app folder, from the repository root (its folder name is its build name in $MODDABLE/build)
//   config    mcconfig overrides, key=value (top-level keys only: mcconfig cannot set `demo.tcpPort`)
//   servers   host-side servers the app needs, on the fixed ports its manifest names: { port: start(port) }
//   ready     (line) => true when the app is ready for its driver (default: at once)
//   finished  (line) => true when the app has finished on its own (apps with a driver finish when it does)
//   driver    optional async ({ link }) => report lines (`ok <name>` / `not ok <name> <why>`): runs on the host
//             while the app runs, against `link` (the app's TCP link, "127.0.0.1:port")
//   link      the SDK run's link for the driver (ours gives its own, from ours())
//   report    (run) => report lines for the judgement (default: the app's own trace lines); run.driverLines
//             holds what the driver returned
//   timeout   the time limit of its SDK run in ms (default: --timeout)
//   ours      async () => { aborted, timedOut, traces, driverLines? }: the same app in our simulator (and driver)
// An app is judged like a non-abort case: no abort, no timeout, at least one report line, every one ok.
// ---------------------------------------------------------------------------------------------------------------

/** A TCP echo on `port`. */
function tcpEchoOn(port) {
  return listenOn(net.createServer((socket) => { socket.on("error", () => {}); socket.pipe(socket); }), port);
}

/** A TLS echo on `port` with the fixture server's leaf + CA (as real servers send). */
function tlsEchoOn(port) {
  const server = tls.createServer({ key: certs.serverKey, cert: Buffer.concat([certs.serverPem, Buffer.from("\n"), certs.caPem]) },
    (socket) => { socket.on("error", () => {}); socket.pipe(socket); });
  server.on("tlsClientError", () => {});
  return listenOn(server, port);
}

const HELLO = "hello from the host over tipi\n";

/** An HTTPS server on `port` (fixture leaf + CA) that answers every GET with HELLO. */
function httpsHelloOn(port) {
  const server = https.createServer({ key: certs.serverKey, cert: Buffer.concat([certs.serverPem, Buffer.from("\n"), certs.caPem]) },
    (request, response) => {
      response.writeHead(200, { "content-type": "text/plain", "connection": "close" });
      response.end(HELLO);
    });
  server.on("tlsClientError", () => {});
  return listenOn(server, port);
}

function listenOn(server, port) {
  const sockets = new Set();
  server.on("connection", (socket) => { sockets.add(socket); socket.on("close", () => sockets.delete(socket)); });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve({
      close: () => new Promise((done) => { for (const s of sockets) s.destroy(); server.close(() => done()); }),
    }));
  });
}

/** Debian's mosquitto over TLS on `port` (test/device/mqtt/mosquitto.js), a broker no one here wrote. */
async function mosquittoOn(port) {
  const broker = await startMosquitto({ port });
  return { close: () => broker.stop("SIGTERM") };
}

/** Our simulator on an app's manifest until idle (or `timeout`). */
async function oursUntilIdle(manifest, timeout) {
  const sim = await Simulator.start({ manifest });
  try {
    const { aborted, timedOut, traces } = await sim.run("main", { timeout });
    return { aborted, timedOut, traces: [...traces] };
  } finally {
    await sim.close();
  }
}

const TIPI_HTTPS_PORT = 17460;

/** A TIPI fetch through the device: GET https://localhost:17460/ over handle 0, the body must be HELLO. */
async function tipiFetch({ link }) {
  const tipi = await TipiClient.connect(link);
  try {
    const { status, body } = await tipi.fetch(`https://localhost:${TIPI_HTTPS_PORT}/`);
    const text = Buffer.from(body ?? []).toString("latin1");
    return [
      status === 200 ? "ok tipi/fetch-status" : `not ok tipi/fetch-status ${status}`,
      text === HELLO ? "ok tipi/fetch-body" : `not ok tipi/fetch-body ${JSON.stringify(text.slice(0, 80))}`,
    ];
  } catch (error) {
    return [`not ok tipi/fetch ${error.code ?? ""} ${error.message}`.replace(/\s+/g, " ")];
  } finally {
    tipi.end();
  }
}

const APPS = [
  {
    name: "demo",
    folder: "apps/demo",
    config: {},
    servers: { 7001: tcpEchoOn, 7443: tlsEchoOn }, // the manifest's config.demo tcpPort / tlsPort
    finished: (line) => line === "demo: done" || line.startsWith("demo: FAILED"),
    report: (run) => {
      const has = (re) => run.traces.some((line) => re.test(line));
      const failed = run.traces.find((line) => line.startsWith("demo: FAILED"));
      return [
        has(/^demo: timer tick 3$/) ? "ok demo/timers" : "not ok demo/timers no third tick",
        has(/^demo: tcp round trip: "ping over tcp"$/) ? "ok demo/tcp" : `not ok demo/tcp ${failed ?? "no echo"}`,
        has(/^demo: tls round trip: "ping over tls"/) ? "ok demo/tls" : `not ok demo/tls ${failed ?? "no echo"}`,
      ];
    },
    ours: () => oursUntilIdle("apps/demo/manifest.json", 15000),
  },
  {
    // The root device app (manifest.json): network, clock, the demo's round trips, ready.
    name: "device",
    folder: ".",
    config: {},
    servers: { 7001: tcpEchoOn, 7443: tlsEchoOn },
    finished: (line) => line === "device: ready" || line.startsWith("device: stopped") || line.startsWith("demo: FAILED"),
    report: (run) => {
      const has = (re) => run.traces.some((line) => re.test(line));
      return [
        has(/^network: /) ? "ok device/network" : "not ok device/network no network line",
        has(/^clock: (reads .*after validAfter|set from NTP)/) ? "ok device/clock" : "not ok device/clock no valid clock",
        has(/^demo: tls round trip: "ping over tls"/) ? "ok device/demo-tls" : "not ok device/demo-tls no echo",
        has(/^device: ready$/) ? "ok device/ready" : "not ok device/ready never ready",
      ];
    },
    ours: () => oursUntilIdle("manifest.json", 15000),
  },
  {
    // The telemetry app: 20 readings at QoS 1 through the policy's `telemetry` stream to mosquitto over TLS on the
    // policy's port (8883); every reading acknowledged (a PUBACK from mosquitto), none dropped.
    name: "telemetry",
    folder: "apps/telemetry",
    config: {},
    servers: { 8883: mosquittoOn },
    timeout: 30000,
    finished: (line) => line.startsWith("telemetry: done"),
    report: (run) => {
      const done = run.traces.find((line) => line.startsWith("telemetry: done"));
      const m = /^telemetry: done, (\d+) readings, (\d+) acknowledged, dropped (\d+)/.exec(done ?? "");
      if (!m) return ["not ok telemetry/done no closing line"];
      return [
        // every reading and the closing summary acknowledged
        Number(m[2]) === Number(m[1]) + 1 ? "ok telemetry/acknowledged" : `not ok telemetry/acknowledged ${m[2]} of ${m[1]} + 1`,
        m[3] === "0" ? "ok telemetry/none-dropped" : `not ok telemetry/none-dropped ${m[3]} dropped`,
      ];
    },
    ours: () => oursUntilIdle("apps/telemetry/manifest.json", 30000),
  },
  {
    // Secure Streams' serialized proxy and its client in one device: echo_raw through a TCP link per stream, then
    // through lws' transport mux on one link, each to the TLS echo on 7443 (test/sdk/ssproxy).
    name: "ssproxy",
    folder: "test/sdk/ssproxy",
    config: {},
    servers: { 7443: tlsEchoOn },
    timeout: 40000,
    finished: (line) => line.startsWith("ssproxy: done") || line.startsWith("ssproxy: FAILED"),
    report: (run) => {
      const line = (how) => run.traces.find((l) => l.startsWith(`ssproxy: ${how} `));
      const want = "ok 3000 CREATING CONNECTING CONNECTED DISCONNECTED DESTROYING";
      const check = (how) => (line(how) === `ssproxy: ${how} ${want}` ? `ok ssproxy/${how}` : `not ok ssproxy/${how} ${line(how) ?? "no line"}`);
      const done = run.traces.find((l) => l.startsWith("ssproxy: done"));
      return [
        check("tcp"),
        check("mux"),
        done === "ssproxy: done, streams left 0" ? "ok ssproxy/streams-left" : `not ok ssproxy/streams-left ${done ?? "no done line"}`,
      ];
    },
    ours: () => oursUntilIdle("test/sdk/ssproxy/manifest.json", 40000),
  },
  {
    name: "tipi",
    folder: "apps/tipi",
    config: {},
    servers: { [TIPI_HTTPS_PORT]: httpsHelloOn },
    link: "127.0.0.1:9924", // config.tipi.port of modules/tipi/manifest.json (a nested key: no mcconfig override)
    timeout: 40000, // the client's open waits up to 15 s for the device's connect
    ready: (line) => line.startsWith("tipi: serving"),
    driver: tipiFetch,
    report: (run) => run.driverLines ?? [],
    ours: async () => {
      const device = await startDevice({});
      try {
        const driverLines = await withTimeout(tipiFetch({ link: device.link }), 30000, ["not ok tipi/fetch timeout"]);
        return { aborted: device.sim.aborted, timedOut: false, traces: [...device.sim.traces], driverLines };
      } finally {
        await device.close();
      }
    },
  },
];

function withTimeout(promise, ms, value) {
  let timer;
  return Promise.race([promise, new Promise((resolve) => { timer = setTimeout(() => resolve(value), ms); })])
    .finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------------------------
// Judgement
// ---------------------------------------------------------------------------------------------------------------

/**
 * The SDK's judgement of a case: expectation(), the one our runner uses. The SDK's simulator prints only
 * `XS abort: unhandled exception`; the abort cases are built with `"defines": { "xs": { "abortHook": 1 } }` and a
 * global `abort(reason, exception)` (conformance/report's showAborts) that traces the exception on the line after,
 * which is taken into `aborted` here, so the abort's message is checked on the SDK as on ours.
 */
function sdkExpectation(name, run) {
  return expectation(name, run);
}

const reportOf = (app, run) => (app.report ? app.report(run) : run.traces);

/** An app's judgement: its report lines, no abort, no timeout, at least one line. */
function appExpectation(app, run) {
  const { cases: lines } = parseReport(reportOf(app, run));
  const checks = lines.map((line) => ({ name: line.name, ok: line.ok, why: line.why }));
  if (run.timedOut) checks.push({ name: `${app.name}: finished`, ok: false, why: "did not finish in time" });
  checks.push({ name: `${app.name}: no abort`, ok: !run.aborted, why: run.aborted ?? "" });
  checks.push({ name: `${app.name}: reported`, ok: lines.length > 0, why: "no report line" });
  return checks;
}

const reportLines = (lines) => new Set(parseReport(lines).cases.map((c) => `${c.ok ? "ok" : "not ok"} ${c.name}`));
const sameSet = (a, b) => a.size === b.size && [...a].every((x) => b.has(x));
/** The first failing check, on one line, at most 240 characters (the details come after the case lines). */
const firstFailure = (checks) => {
  const check = checks.find((c) => !c.ok);
  const text = check ? `${check.name}${check.why ? `: ${check.why}` : ""}`.replace(/\s+/g, " ").trim() : "";
  return text.length > 240 ? `${text.slice(0, 237)}...` : text;
};

// ---------------------------------------------------------------------------------------------------------------
// The SDK
// ---------------------------------------------------------------------------------------------------------------

const built = (dir) => Boolean(dir) && existsSync(path.join(dir, "build/bin/lin/release/mcsim"));

/** The environment for mcconfig and mcsim: MODDABLE, its tools and the project's tsc on PATH. Exits 2 if none. */
function sdkEnvironment() {
  const env = { ...process.env };
  if (built(env.MODDABLE)) {
    env.PATH = `${path.join(env.MODDABLE, "build/bin/lin/release")}:${env.PATH}`;
  } else {
    if (env.MODDABLE) console.log(`conformance:sdk: MODDABLE=${env.MODDABLE} is not a built SDK; trying setup.sh`);
    if (!existsSync(SETUP)) {
      console.error([
        "conformance:sdk: no Moddable SDK: set MODDABLE to a built Moddable SDK 8.2.3 (its build/bin/lin/release has",
        `mcconfig and mcsim), or provide ${path.relative(ROOT, SETUP)} (not part of this repository) to build one.`,
      ].join("\n"));
      process.exit(2);
    }
    // setup.sh prints its progress on stderr and, last on stdout, the `export MODDABLE=... PATH=...` to eval.
    const script = 'out=$("$1") || exit $?; eval "$(printf "%s\\n" "$out" | tail -n 1)"; printf "%s\\0%s" "$MODDABLE" "$PATH"';
    const result = spawnSync("bash", ["-c", script, "bash", SETUP], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const [moddable, pathValue] = (result.stdout ?? "").split("\0");
    if (result.status !== 0 || !built(moddable)) {
      console.error(`conformance:sdk: ${path.relative(ROOT, SETUP)} failed (exit ${result.status})`);
      process.exit(2);
    }
    env.MODDABLE = moddable;
    env.PATH = pathValue;
  }
  env.PATH = `${path.join(ROOT, "node_modules/.bin")}:${env.PATH}`;
  const missing = [];
  if (!existsSync(path.join(ROOT, "node_modules/.bin/tsc"))) missing.push("tsc (run npm ci)");
  for (const tool of ["xvfb-run", "stdbuf", "mcconfig"]) {
    if (spawnSync("bash", ["-c", `command -v ${tool}`], { env, stdio: "ignore" }).status !== 0) missing.push(tool);
  }
  if (missing.length) {
    console.error(`conformance:sdk: missing ${missing.join(", ")} (setup.sh installs xvfb; tsc comes with npm ci)`);
    process.exit(2);
  }
  return env;
}

/** Build an app folder with mcconfig; resolves { ok, errors (first error lines), log (its file) }. */
function build(name, dir, config, env) {
  const args = ["-m", "-p", "lin", "-t", "build", ...Object.entries(config ?? {}).map(([k, v]) => `${k}=${v}`)];
  const log = path.join(LOGS, `${name}.build.log`);
  return new Promise((resolve) => {
    const child = spawn("mcconfig", args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    const chunks = [];
    child.stdout.on("data", (c) => chunks.push(c));
    child.stderr.on("data", (c) => chunks.push(c));
    child.on("error", (error) => chunks.push(Buffer.from(`${error.message}\n`)));
    child.on("close", (code) => {
      const text = Buffer.concat(chunks).toString("utf8");
      writeFileSync(log, text);
      const lines = text.split("\n").filter(Boolean);
      // the compilers' error lines, once each (not make's "***" lines, nor its "# xsc errors.xsb" progress lines)
      const errors = [...new Set(lines.filter((l) => /error/i.test(l) && !/^(make(\[\d+\])?: \*\*\*|# )/.test(l)))];
      resolve({ ok: code === 0, errors: (errors.length ? errors : lines.slice(-5)).slice(0, 5), log });
    });
  });
}

/**
 * Traces of the SDK's own lin modules that end without a newline, so the device's next trace is glued to them:
 * modules/io/socket/lin/tcp.c traces "write failed" when write(2) fails (a write after an error). Split off.
 */
const UNTERMINATED = ["write failed"];

function traceLines(line) {
  const lines = [];
  for (let fragment = UNTERMINATED.find((f) => line.startsWith(f) && line.length > f.length); fragment;
    fragment = UNTERMINATED.find((f) => line.startsWith(f) && line.length > f.length)) {
    lines.push(fragment);
    line = line.slice(fragment.length);
  }
  lines.push(line);
  return lines;
}

const live = new Set(); // process groups of running simulators, killed on exit

function killGroup(child, signal) {
  try { process.kill(-child.pid, signal); } catch { /* already gone */ }
}

const groupAlive = (child) => { try { process.kill(-child.pid, 0); return true; } catch { return false; } };

/** Wait until nothing of the simulator's process group is left (Xvfb may outlive xvfb-run a moment); SIGKILL at 3 s. */
async function reap(child) {
  for (let waited = 0; groupAlive(child); waited += 50) {
    if (waited === 3000) killGroup(child, "SIGKILL");
    if (waited > 5000) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Run a built app in the SDK's simulator under Xvfb, reading the device's trace (mcsim's stdout) line by line,
 * until `done`, an `XS abort` line, `finished(line)`, the driver's end, or the time limit; then kill its whole
 * process group (the simulator never exits by itself). Resolves { aborted, timedOut, traces, exited, driverLines }.
 */
function simulate({ name, env, display, timeout, finished, ready, driver, link }) {
  const mcsim = path.join(env.MODDABLE, "build/bin/lin/release/mcsim");
  const lib = path.join(env.MODDABLE, "build/bin/lin/mc/release", name, "mc.so");
  // mcsim copies the library it runs to $XDG_CONFIG_HOME/tech.moddable.mcsim/mc.so (default ~/.config) and runs that
  // copy (tools/mcsim/main.js launchScreen): two simulators at once with the same config folder run each other's
  // apps. Each run gets its own.
  const config = mkdtempSync(path.join(os.tmpdir(), "conformance-sdk-mcsim-"));
  return new Promise((resolve) => {
    // -n: each job slot starts its search for a free display elsewhere, so two xvfb-run -a do not race for one.
    const child = spawn("xvfb-run", ["-a", "-n", String(display), "stdbuf", "-o0", mcsim, lib],
      { env: { ...env, XDG_CONFIG_HOME: config }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    live.add(child);
    const traces = [];
    const aborts = [];
    let stderr = "";
    let timedOut = false;
    let stopping = false;
    let exited = null;
    let driverLines;
    let killer;
    const stop = (delay = 0) => {
      if (stopping) return;
      stopping = true;
      clearTimeout(limit);
      setTimeout(() => {
        killGroup(child, "SIGTERM");
        killer = setTimeout(() => killGroup(child, "SIGKILL"), 2000);
      }, delay);
    };
    const limit = setTimeout(() => { timedOut = true; stop(); }, timeout);
    const startDriver = () => {
      driver({ link }).then((lines) => { driverLines = lines; }, (error) => { driverLines = [`not ok ${name}/driver ${error.message}`]; })
        .finally(() => stop());
    };
    let driving = false;
    if (driver && !ready) { driving = true; startDriver(); }
    createInterface({ input: child.stdout }).on("line", (raw) => {
      for (const line of traceLines(raw.replace(/\r$/, ""))) {
        traces.push(line);
        // after the abort line, what an abort hook traces (the exception) belongs to the abort
        if (line.startsWith("XS abort") || aborts.length) { aborts.push(line); stop(GRACE_MS); continue; }
        if (line === "done" || finished?.(line)) stop(GRACE_MS);
        if (driver && !driving && ready?.(line)) { driving = true; startDriver(); }
      }
    });
    child.stderr.on("data", (c) => { stderr = (stderr + c.toString()).slice(-4000); });
    child.on("exit", (code, signal) => { if (!stopping) exited = signal ?? code; });
    child.on("close", () => {
      clearTimeout(limit);
      clearTimeout(killer);
      live.delete(child);
      const dead = exited !== null && !timedOut;
      if (dead) stderr.split("\n").filter(Boolean).slice(-3).forEach((l) => traces.push(`[mcsim stderr] ${l}`));
      const finish = () => resolve({
        aborted: aborts.length ? aborts.join("\n") : null,
        timedOut,
        traces,
        exited: dead ? exited : null,
        xvfbFailed: dead && traces.length === 0 && /Xvfb failed to start|cannot open display/i.test(stderr),
        driverLines,
      });
      // a driver still waiting on a dead link ends with its own timeout; give it a moment to report
      reap(child).then(() => {
        rmSync(config, { recursive: true, force: true });
        setTimeout(finish, driver && driving && driverLines === undefined ? 500 : 0);
      });
    });
  });
}

async function sdkRun(entry, env, slot, options) {
  const dir = path.join(ROOT, entry.folder);
  const started = performance.now();
  const made = await build(entry.name, dir, entry.config, env);
  const buildMs = performance.now() - started;
  if (!made.ok) return { buildFailed: made, buildMs };
  const name = path.basename(dir);
  const params = {
    name, env, timeout: Math.max(options.timeout, TIMEOUTS[entry.name] ?? 0, entry.timeout ?? 0), display: 120 + slot * 20,
    finished: entry.finished, ready: entry.ready, driver: entry.driver, link: entry.link,
  };
  let run = await simulate(params);
  if (run.xvfbFailed) run = await simulate(params); // once more: another Xvfb took the display
  return { ...run, buildMs, runMs: performance.now() - started - buildMs };
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------------------------

/** `node test/conformance/serve.js` as a child, once it prints "fixtures up"; resolves { stop() }. */
function startFixtures() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "test/conformance/serve.js")], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let up = false;
    const stop = () => new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      child.once("exit", () => { clearTimeout(timer); done(); });
      child.kill("SIGINT"); // serve.js closes its servers on SIGINT
    });
    createInterface({ input: child.stdout }).on("line", (line) => {
      output += `${line}\n`;
      if (!up && line.startsWith("fixtures up")) { up = true; resolve({ stop }); }
    });
    child.stderr.on("data", (c) => { output += c.toString(); });
    child.on("exit", (code) => {
      if (up) return;
      const inUse = /EADDRINUSE/.test(output);
      reject(new Error(inUse
        ? "a fixture port is in use: is a `node test/conformance/serve.js` running? Stop it, or pass --fixtures-running to use it."
        : `test/conformance/serve.js exited (${code}) before "fixtures up":\n${output}`));
    });
  });
}

/** The fixtures already listening (--fixtures-running): check the fixed ports answer. */
async function fixturesRunning() {
  const ports = Object.values(FIXTURES).filter((f) => f.serve !== false).map((f) => f.port);
  const closed = [];
  await Promise.all(ports.map((port) => new Promise((done) => {
    const socket = net.connect(port, "127.0.0.1", () => { socket.destroy(); done(); });
    socket.on("error", (error) => { if (error.code === "ECONNREFUSED") closed.push(port); done(); });
  })));
  if (closed.length) throw new Error(`--fixtures-running: nothing listens on ${closed.sort().join(", ")}`);
  return { stop: async () => {} };
}

// ---------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------

function parseArgs(argv) {
  const options = { jobs: 2, timeout: 20000, fixturesRunning: false, names: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === "--jobs" || arg === "-j") options.jobs = Number(value());
    else if (arg.startsWith("--jobs=")) options.jobs = Number(arg.slice(7));
    else if (arg === "--timeout") options.timeout = Number(value()) * 1000;
    else if (arg === "--fixtures-running") options.fixturesRunning = true;
    else if (arg === "--help" || arg === "-h") usage();
    else if (arg.startsWith("-")) usage(`unknown option ${arg}`);
    else options.names.push(arg);
  }
  if (!Number.isInteger(options.jobs) || options.jobs < 1) usage("--jobs wants a whole number >= 1");
  if (!(options.timeout > 0)) usage("--timeout wants seconds > 0");
  return options;
}

function usage(problem) {
  if (problem) console.error(`conformance:sdk: ${problem}`);
  console.error("usage: node test/sdk/run.js [--jobs N] [--timeout SECONDS] [--fixtures-running] [case or app ...]");
  process.exit(problem ? 2 : 0);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const folders = caseFolders();
  const all = [
    ...folders.map((name) => ({ name, folder: path.relative(ROOT, path.join(CASES_DIR, name)) })),
    ...APPS.map((app) => ({ ...app, app: true })),
  ];
  const unknown = options.names.filter((name) => !all.some((entry) => entry.name === name));
  if (unknown.length) usage(`no such case or app: ${unknown.join(", ")}`);
  const entries = options.names.length ? all.filter((entry) => options.names.includes(entry.name)) : all;
  const known = existsSync(KNOWN) ? JSON.parse(readFileSync(KNOWN, "utf8")) : {};

  const wall = performance.now();
  const certsBefore = certsSignature();
  const env = sdkEnvironment();
  mkdirSync(LOGS, { recursive: true });
  console.log(`conformance:sdk: SDK ${env.MODDABLE}; ${entries.length} cases, ${options.jobs} at a time; logs in ${LOGS}`);

  // App servers first (fixed ports), then the conformance fixtures.
  const appServers = [];
  const fixtures = { stop: async () => {} };
  const cleanup = async () => {
    for (const child of live) killGroup(child, "SIGKILL");
    await fixtures.stop();
    await Promise.all(appServers.map((s) => s.close()));
  };
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => { cleanup().finally(() => process.exit(130)); });
  }
  try {
    const started = new Set(); // apps that need the same server on the same port share it
    for (const entry of entries) {
      for (const [port, start] of Object.entries(entry.servers ?? {})) {
        const key = `${port}/${start.name}`;
        if (started.has(key)) continue;
        started.add(key);
        appServers.push(await start(Number(port)));
      }
    }
    Object.assign(fixtures, await (options.fixturesRunning ? fixturesRunning() : startFixtures()));
  } catch (error) {
    console.error(`conformance:sdk: ${error.message}`);
    await cleanup();
    process.exit(2);
  }

  // Ours first, one at a time (fast, and nothing else loads the machine then), then the SDK, N at a time.
  const oursStarted = performance.now();
  const ours = new Map();
  for (const entry of entries) {
    try {
      ours.set(entry.name, entry.app ? await entry.ours() : await runCase(entry.name));
    } catch (error) {
      ours.set(entry.name, { aborted: null, timedOut: false, traces: [], error: `our simulator threw: ${error.message}` });
    }
  }
  const oursMs = performance.now() - oursStarted;

  const width = Math.max(...entries.map((e) => e.name.length));
  const results = [];
  const queue = [...entries];
  const sdkStarted = performance.now();
  const worker = async (slot) => {
    for (let entry = queue.shift(); entry; entry = queue.shift()) {
      const sdk = await sdkRun(entry, env, slot, options);
      const result = judge(entry, sdk, ours.get(entry.name), known);
      results.push(result);
      console.log(`${entry.name.padEnd(width)}  ${result.line}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.jobs, entries.length) }, (_, slot) => worker(slot)));
  const sdkMs = performance.now() - sdkStarted;
  await cleanup();

  // Details of each disagreement (known ones too): the failing checks and the SDK's trace.
  const order = new Map(entries.map((e, i) => [e.name, i]));
  results.sort((a, b) => order.get(a.name) - order.get(b.name));
  for (const result of results.filter((r) => !r.same)) {
    console.log("");
    console.log(`--- ${result.name}${known[result.name] ? ` (known: ${known[result.name]})` : ""}`);
    if (result.sdk.buildFailed) {
      console.log(`  sdk: build failed (full log ${result.sdk.buildFailed.log}):`);
      for (const line of result.sdk.buildFailed.errors) console.log(`    ${line}`);
    } else {
      for (const check of result.sdkChecks.filter((c) => !c.ok)) console.log(`  sdk FAIL: ${check.name}: ${check.why}`);
      console.log(`  sdk trace (${result.sdk.traces.length} lines${result.sdk.timedOut ? ", timed out" : ""}${result.sdk.exited !== null && result.sdk.exited !== undefined ? `, mcsim exited ${result.sdk.exited}` : ""}):`);
      for (const line of result.sdk.traces) console.log(`    ${line}`);
      if (result.sdk.driverLines) for (const line of result.sdk.driverLines) console.log(`    [driver] ${line}`);
    }
    for (const check of result.oursChecks.filter((c) => !c.ok)) console.log(`  ours FAIL: ${check.name}: ${check.why.trim()}`);
    if (result.sdkOk && result.oursOk) {
      const a = [...reportLines(result.sdkLines)];
      const b = reportLines(result.oursLines);
      console.log(`  only in the SDK: ${a.filter((x) => !b.has(x)).join("; ") || "-"}`);
      console.log(`  only in ours: ${[...b].filter((x) => !new Set(a).has(x)).join("; ") || "-"}`);
    }
  }

  const agree = results.filter((r) => r.same && !known[r.name]).length;
  const fixed = results.filter((r) => r.same && known[r.name]);
  const knownCount = results.filter((r) => !r.same && known[r.name]).length;
  const disagree = results.filter((r) => !r.same && !known[r.name]).length;
  const stale = options.names.length ? [] : Object.keys(known).filter((name) => !all.some((e) => e.name === name));
  console.log("");
  for (const r of fixed) console.log(`conformance:sdk: ${r.name} agrees now: fixed: remove it from test/sdk/known.json`);
  for (const name of stale) console.log(`conformance:sdk: known.json names ${name}, which is no case or app: remove it`);
  const certsChanged = certsSignature() !== certsBefore;
  if (certsChanged) {
    console.log(`conformance:sdk: ${path.relative(ROOT, CERTS)} changed during the run: the servers kept the old` +
      " certificates while later builds took the new CA, so TLS results are not to be trusted: run again");
  }
  console.log(`conformance:sdk: ${results.length} cases, ${agree} agree, ${disagree} disagree, ${knownCount} known` +
    (fixed.length ? `, ${fixed.length} fixed` : ""));
  console.log(`conformance:sdk: wall time ${seconds(performance.now() - wall)} (ours ${seconds(oursMs)}, SDK builds and runs ${seconds(sdkMs)}, ${options.jobs} at a time)`);
  process.exit(disagree === 0 && fixed.length === 0 && stale.length === 0 && !certsChanged ? 0 : 1);
}

const CERTS = path.join(ROOT, "test/fixtures/certs");

/** Names, sizes and times of the fixture certificates (built into the apps as resources, served by the fixtures). */
function certsSignature() {
  if (!existsSync(CERTS)) return "";
  return readdirSync(CERTS).sort().map((name) => {
    const { size, mtimeMs } = statSync(path.join(CERTS, name));
    return `${name}:${size}:${mtimeMs}`;
  }).join("\n");
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

function judge(entry, sdk, ours, known) {
  const name = entry.name;
  const oursChecks = entry.app ? appExpectation(entry, ours) : expectation(name, ours);
  if (ours.error) oursChecks.unshift({ name: `${name}: ran`, ok: false, why: ours.error });
  const oursOk = met(oursChecks);
  let sdkChecks;
  if (sdk.buildFailed) sdkChecks = [{ name: "build failed", ok: false, why: sdk.buildFailed.errors[0] ?? "" }];
  else sdkChecks = entry.app ? appExpectation(entry, sdk) : sdkExpectation(name, sdk);
  const sdkOk = met(sdkChecks);
  const sdkLines = sdk.buildFailed ? [] : entry.app ? reportOf(entry, sdk) : sdk.traces;
  const oursLines = entry.app ? reportOf(entry, ours) : ours.traces;
  const same = sdkOk && oursOk && sameSet(reportLines(sdkLines), reportLines(oursLines));
  const side = (ok, checks) => (ok ? "ok" : `FAIL (${firstFailure(checks)})`);
  let verdict = same ? "same" : "DIFFERENT";
  if (known[name]) verdict += same ? " (fixed: remove it from known.json)" : ` (known: ${known[name]})`;
  return {
    name, sdk, ours, sdkChecks, oursChecks, sdkOk, oursOk, sdkLines, oursLines, same,
    line: `sdk: ${side(sdkOk, sdkChecks)}  ours: ${side(oursOk, oursChecks)}  ${verdict}`,
  };
}

await main();
