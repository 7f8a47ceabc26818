// The conformance suite's data (test/conformance/README.md): the fixture servers the cases need, one table of
// cases (case -> fixture -> expectation), the run of one case in the simulator, and the one check that decides
// whether a case's expectation is met. Both runners use it: test/conformance.test.js (every case, the board's rules
// on: each must pass) and test/conformance-negative.test.js (a rule switched off: its case must fail).
// test/conformance/serve.js starts the same fixtures on the fixed ports the case manifests name, for a run in the
// SDK's own simulator.
import net from "node:net";
import { closedPort as anyClosedPort } from "./ports.js";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { Simulator } from "../../sim/simulator.js";
import { ROOT } from "../../sim/loader.js";
import * as servers from "./servers.js";
import { parseReport } from "./device.js";

export const CASES_DIR = path.join(ROOT, "test/conformance");

const listen = (server, port = 0) => new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(port, "127.0.0.1", () => resolve(server.address().port));
});

/** Plain TCP server that sends "bye" to each connection and closes its side. */
async function tcpClose() {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    socket.end("bye");
  });
  const port = await listen(server);
  return {
    port,
    close: () => new Promise((done) => {
      for (const s of sockets) s.destroy();
      server.close(() => done());
    }),
  };
}

/** Plain TCP server that resets each connection as soon as it is accepted. */
async function tcpReset() {
  const server = net.createServer((socket) => {
    socket.on("error", () => {});
    socket.resetAndDestroy();
  });
  const port = await listen(server);
  return { port, close: () => new Promise((done) => server.close(() => done())) };
}

/** A port where nothing listens (bound, then released): a connection to it is refused. */
async function closedPort() {
  return { port: await anyClosedPort(), close: async () => {} };
}

/**
 * The fixtures, by name: `start()` listens on an ephemeral port (the runners); `port` is the fixed port the case
 * manifests give as their default `config.port` and serve.js forwards to the fixture (a run in the SDK simulator);
 * `serve: false`: serve.js leaves that port unused.
 */
export const FIXTURES = {
  tcpEcho: { port: 17101, start: () => servers.tcpEcho() },
  tcpClose: { port: 17102, start: tcpClose },
  tcpReset: { port: 17104, start: tcpReset },
  closedPort: { port: 17103, start: closedPort, serve: false }, // serve.js leaves this port closed
  tlsEcho: { port: 17443, start: () => servers.tlsEcho() },
  tlsSource: { port: 17444, start: () => servers.tlsSource(5) },
  untrusted: { port: 17445, start: () => servers.untrusted() },
  wrongName: { port: 17446, start: () => servers.wrongName() },
  expiredCert: { port: 17447, start: () => servers.expiredCert() },
  leafOnly: { port: 17448, start: () => servers.leafOnly() },
  tls13Only: { port: 17449, start: () => servers.tls13Only() },
  aes256Only: { port: 17450, start: () => servers.aes256Only() },
  x25519Only: { port: 17451, start: () => servers.x25519Only() },
  noAki: { port: 17452, start: () => servers.noAki() },
  chained: { port: 17453, start: () => servers.chained() },
  cnOnly: { port: 17454, start: () => servers.cnOnly() },
  starTld: { port: 17455, start: () => servers.starTld() },
  partialWild: { port: 17456, start: () => servers.partialWild() },
  tlsRecords: { port: 17457, start: () => servers.tlsRecords([20000]) },
  tlsReplyClose: { port: 17458, start: () => servers.tlsReplyClose(5) },
};

// What the board throws, as its abort report prints it: "<error name>: <message>".
const AUTH_ERR = "TLS: certificate: auth err";
const ALERT_70 = "TLS: alert: 2, 70";
const ALERT_40 = "TLS: alert: 2, 40";
const DATE = "Error: date validation failed";
const NO_AKI = "TypeError: invalid buffer";

/**
 * The refusals the board makes, each as: the fixture that provokes it, the board's error, the code modules/tls turns
 * it into. `no-ca` is a good server (leaf + CA) with no CA given to the socket.
 */
export const REFUSALS = {
  "untrusted": { fixture: "untrusted", message: AUTH_ERR, code: "TLS_CERT_UNTRUSTED" },
  "wrong-name": { fixture: "wrongName", message: AUTH_ERR, code: "TLS_CERT_UNTRUSTED" },
  "expired": { fixture: "expiredCert", message: DATE, code: "TLS_CERT_EXPIRED" },
  "leaf-only": { fixture: "leafOnly", message: AUTH_ERR, code: "TLS_CERT_UNTRUSTED" },
  "root-no-aki": { fixture: "noAki", message: NO_AKI, code: "TLS_CERT_CHAIN" },
  "tls13-only": { fixture: "tls13Only", message: ALERT_70, code: "TLS_HANDSHAKE" },
  "aes256-only": { fixture: "aes256Only", message: ALERT_40, code: "TLS_HANDSHAKE" },
  "x25519-only": { fixture: "x25519Only", message: ALERT_40, code: "TLS_HANDSHAKE" },
  // modules/tls refuses to start without a CA (TLS_BAD_ARGUMENT), so the board's no-CA failure never happens there.
  "no-ca": { fixture: "tlsEcho", message: AUTH_ERR, code: "TLS_BAD_ARGUMENT" },
};

/**
 * case -> { fixture (a FIXTURES name, or none), abort (the run must end in an XS abort carrying this message) }.
 * What each case asserts is written at the top of its main.ts and in test/conformance/README.md.
 */
export const CASES = {
  "tcp-host-throws": { fixture: "tcpEcho" },
  "tcp-address-connects": { fixture: "tcpEcho" },
  "tcp-read-past-throws": { fixture: "tcpEcho" },
  "tcp-write-past-throws": { fixture: "tcpEcho" },
  "tcp-onerror-no-args": { fixture: "closedPort" },
  "tcp-peer-close-onerror": { fixture: "tcpClose" },
  "tcp-write-after-error-ignored": { fixture: "closedPort" },
  "tcp-reset-onerror": { fixture: "tcpReset" },
  "dns-localhost": {},
  "dns-literal-tick": {},
  "dns-unknown-onerror": {},
  "tls-requires-tcp-io": { fixture: "tlsEcho" },
  "tls-this-not-socket": { fixture: "tlsEcho" },
  "tls-onwritable-minus-96": { fixture: "tlsEcho" },
  "tls-read-view-copies-available": { fixture: "tlsEcho" },
  "tls-peer-close-onerror": { fixture: "tlsReplyClose" },
  "tls-server-first-data-lost": { fixture: "tlsSource" },
  "tls-onreadable-per-record": { fixture: "tlsRecords" },
  "tls-write-returns-space": { fixture: "tlsEcho" },
  "tls-tcp-gets-all-options": { fixture: "tlsEcho" },
  "tls-no-server-name-throws": { fixture: "tlsEcho" },
  "tls-module-ok": { fixture: "tlsEcho" },
  "tls-module-server-first": { fixture: "tlsSource" },
  "tls-ok-intermediate": { fixture: "chained" },
  "tls-name-cn-ignored": { fixture: "cnOnly" },
  "tls-name-wildcard-one-label": { fixture: "tlsEcho" },
  "tls-name-partial-wildcard": { fixture: "partialWild" },
  "tls-name-star-tld": { fixture: "starTld" },
  "tls-ok-chain": { fixture: "tlsEcho" },
  "tls-host-is-only-the-name": { fixture: "tlsEcho" },
  "tls-servername-overrides-host": { fixture: "wrongName" },
  "tls-name-wildcard": { fixture: "tlsEcho" },
  "tls-name-ip-address": { fixture: "tlsEcho" },
  "callback-throw-aborts": { abort: "callback-throw-aborts: thrown from a timer callback" },
  ...Object.fromEntries(Object.entries(REFUSALS).flatMap(([refusal, { fixture, message }]) => [
    [`tls-abort-${refusal}`, { fixture, abort: message }],
    [`tls-guard-${refusal}`, { fixture }],
    [`tls-module-${refusal}`, { fixture }],
  ])),
};

/** The folder of test/conformance that holds the device modules the cases share (conformance/report, ...): no case. */
export const COMMON = "common";

/** The case folders: every directory of test/conformance that holds a manifest.json, but the shared one. */
export function caseFolders() {
  return readdirSync(CASES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== COMMON)
    .filter((entry) => existsSync(path.join(CASES_DIR, entry.name, "manifest.json")))
    .map((entry) => entry.name)
    .sort();
}

export function caseManifest(name) {
  return JSON.parse(readFileSync(path.join(CASES_DIR, name, "manifest.json"), "utf8"));
}

/**
 * Run one case in the simulator: start its fixture, point `config.port` at it, run `main` until the device is idle
 * or aborts. Resolves { aborted, timedOut, traces, ms }.
 */
export async function runCase(name, { rules, timeout = 15000, onTrace } = {}) {
  const spec = CASES[name] ?? {};
  const fixture = spec.fixture ? await FIXTURES[spec.fixture].start() : undefined;
  let sim;
  try {
    sim = await Simulator.start({
      manifest: path.relative(ROOT, path.join(CASES_DIR, name, "manifest.json")),
      config: fixture ? { port: fixture.port } : {},
      rules,
      onTrace,
    });
    const started = performance.now();
    const { aborted, timedOut, traces } = await sim.run("main", { timeout });
    return { aborted, timedOut, traces: [...traces], ms: Math.round(performance.now() - started) };
  } finally {
    await sim?.close();
    await fixture?.close();
  }
}

const XS_ABORT = "XS abort: unhandled exception";

/**
 * The expectation of a case, checked against its run: a list of { name, ok, why }, one per `ok` / `not ok` line the
 * device traced, plus the end of the run:
 * - an abort case (spec.abort) must end in "XS abort: unhandled exception" carrying the board's message, having
 *   traced `expect-abort <that message>` first (the device got as far as the code that must abort) and no `done`;
 * - any other case must not abort, must not time out, must trace `done` (it reached its end) and at least one line.
 * The expectation is met when every entry is ok.
 */
export function expectation(name, run) {
  const spec = CASES[name];
  if (!spec) return [{ name, ok: false, why: "no entry in the CASES table (test/support/conformance.js)" }];
  const { cases: lines, done } = parseReport(run.traces);
  const checks = lines.map((line) => ({ name: line.name, ok: line.ok, why: line.why }));
  if (run.timedOut) checks.push({ name: `${name}: finished`, ok: false, why: "the simulator did not go idle (timed out)" });
  if (spec.abort) {
    const aborted = run.aborted ?? "";
    checks.push({
      name: `${name}: XS abort with "${spec.abort}"`,
      ok: aborted.includes(XS_ABORT) && aborted.includes(spec.abort),
      why: run.aborted ? `aborted with: ${run.aborted.split("\n")[0]}` : "the VM did not abort",
    });
    checks.push({
      name: `${name}: traced "expect-abort ${spec.abort}" and stopped there`,
      ok: run.traces.includes(`expect-abort ${spec.abort}`) && !done,
      why: done ? "the device reached `done`" : "no such `expect-abort` line",
    });
  } else {
    checks.push({ name: `${name}: no abort`, ok: !run.aborted, why: run.aborted ?? "" });
    checks.push({ name: `${name}: reported`, ok: done && lines.length > 0, why: done ? "no ok / not ok line" : "no `done` line" });
  }
  return checks;
}

export const met = (checks) => checks.every((check) => check.ok);
