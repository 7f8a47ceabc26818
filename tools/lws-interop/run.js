#!/usr/bin/env node
// Interop proof between our serialized Secure Streams (modules/ss/sspc, modules/ss/proxy, in XS in the simulator)
// and the real libwebsockets v4.4.5 proxy and client. Not part of `npm test`: lws is built outside the repository
// (modules/ss/README.md, "Interop with libwebsockets"). USAGE says what it runs; everything it starts is stopped
// by itself (child processes by their own handle), and the exit status is 0 only when every check passed.
import fs from "node:fs";
import os from "node:os";
import net from "node:net";
import tls from "node:tls";
import https from "node:https";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Simulator } from "../../sim/simulator.js";
import { startMitm, framesOf, describe, shape, checkRawLife } from "./wire.js";
import { readExamplePolicies } from "./policies.js";

const USAGE = `usage: node tools/lws-interop/run.js [--lws DIR] [--lws-src SRC] [--payload TEXT] [--verbose]   (interop:lws)
DIR (or env LWS_INTEROP_DIR) holds the lws v4.4.5 programs: DIR/prog/ssproxy and DIR/prog/sspc-client (or
DIR/ssproxy, DIR/sspc-client). Starts a TLS echo and an HTTPS server on 127.0.0.1 (fixture certificates), one
policy for both proxies (echo_raw: raw over TLS; get_h1: h1 GET over TLS), then:
  1. our client (sspc, in XS) -> lws' ssproxy: echo_raw over TCP and over a unix socket, get_h1 over TCP;
  2. lws' sspc-client -> our proxy (in XS): echo_raw over TCP and over a unix socket, get_h1 over TCP;
  reference: lws' sspc-client -> lws' ssproxy, echo_raw and get_h1 over TCP.
A MITM (127.0.0.1) records every TCP link; each raw life is held against ../shared/peers.md's table and against
the lws-to-lws reference. With lws' source tree at SRC (default DIR/src), its example policies (peers.md's list)
are loaded, unchanged, by our policy parser in XS. --verbose prints the lws programs' output and the device log.
Exit: 0 every check passed; 1 a check failed; 2 the lws programs are not there; 64 bad usage.`;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CERTS = path.join(ROOT, "test/fixtures/certs");
const cert = (name) => fs.readFileSync(path.join(CERTS, name));

function parseArgs(argv) {
  const o = { lws: process.env.LWS_INTEROP_DIR, src: undefined, payload: "hello from field-tls-firmware", verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    if (a === "--lws") o.lws = value();
    else if (a === "--lws-src") o.src = value();
    else if (a === "--payload") o.payload = value();
    else if (a === "--verbose" || a === "-v") o.verbose = true;
    else if (a === "--help" || a === "-h") { console.log(USAGE); process.exit(0); }
    else throw new Error(`unknown option ${a}`);
  }
  if (!/^[\x20-\x7e]{1,400}$/.test(o.payload)) throw new Error("--payload wants 1 to 400 printable ASCII characters");
  return o;
}

function findPrograms(dir) {
  if (!dir) return null;
  for (const d of [path.join(dir, "prog"), dir, path.join(dir, "bin")]) {
    const proxy = path.join(d, "ssproxy"), client = path.join(d, "sspc-client");
    if (fs.existsSync(proxy) && fs.existsSync(client)) return { proxy, client };
  }
  return null;
}

// ---- servers behind the proxies --------------------------------------------------------------------------------

const quiet = (s) => s.on("error", () => {});

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server.address().port));
  });
}

/** TLS echo with the fixture leaf + CA (as the board's verifier wants both). */
async function tlsEcho() {
  const open = new Set();
  const server = tls.createServer({ key: cert("server.key"), cert: Buffer.concat([cert("server.pem"), cert("ca.pem")]),
    minVersion: "TLSv1.2" }, (s) => { quiet(s); open.add(s); s.on("close", () => open.delete(s)); s.pipe(s); });
  server.on("tlsClientError", () => {});
  const port = await listen(server);
  return { port, close: () => new Promise((r) => { server.close(() => r()); for (const s of open) s.destroy(); }) };
}

/** HTTPS: GET /interop/get answers `body` (text/plain, Content-Length); anything else 404. */
async function httpsGet(body) {
  const requests = [];
  const server = https.createServer({ key: cert("server.key"), cert: Buffer.concat([cert("server.pem"), cert("ca.pem")]),
    minVersion: "TLSv1.2" }, (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method === "GET" && req.url === "/interop/get") {
      res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) });
      res.end(body);
    } else {
      res.writeHead(404, { "content-length": 0 });
      res.end();
    }
  });
  server.on("tlsClientError", () => {});
  server.keepAliveTimeout = 100;
  const port = await listen(server);
  return { port, requests, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) };
}

/** One policy, lws' layout, read by lws' ssproxy (a file) and by our ss/policy (a string). */
function policy(echoPort, httpsPort) {
  const trust = { tls: true, tls_trust_store: "fixture", retry: "default" };
  return JSON.stringify({
    release: "lws-interop",
    product: "field-tls-firmware",
    "schema-version": 1,
    retry: [{ default: { backoff: [1000, 2000, 3000], conceal: 3, jitterpc: 20 } }],
    certs: [{ fixture_ca: cert("ca.der").toString("base64") }],
    trust_stores: [{ name: "fixture", stack: ["fixture_ca"] }],
    s: [
      { echo_raw: { endpoint: "127.0.0.1", port: echoPort, protocol: "raw", ...trust } },
      { get_h1: { endpoint: "127.0.0.1", port: httpsPort, protocol: "h1", http_method: "GET", http_url: "interop/get", ...trust } },
    ],
  }, null, 2);
}

async function freePort() {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(cond, ms, what) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// ---- the lws programs ------------------------------------------------------------------------------------------

const children = new Set();

function start(bin, args) {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  const run = { child, out: "", code: null };
  children.add(child);
  child.stdout.on("data", (d) => { run.out += d; });
  child.stderr.on("data", (d) => { run.out += d; });
  run.exited = new Promise((resolve) => child.on("exit", (code, signal) => {
    children.delete(child);
    run.code = code ?? signal;
    resolve(run.code);
  }));
  return run;
}

async function stop(run) {
  if (run.code !== null) return;
  run.child.kill("SIGINT");
  const t = setTimeout(() => run.child.kill("SIGKILL"), 2000);
  await run.exited;
  clearTimeout(t);
}

/** lws' sspc-client: `target` "-p PORT" or "-u +PATH"; its printed lines and exit status. */
async function lwsClient(progs, target, streamtype, payload, extra = []) {
  const run = start(progs.client, [...target, "-s", streamtype, "-m", payload, "-t", "10", ...extra]);
  await run.exited;
  const lines = run.out.split("\n").filter((l) => /^(STATE|TX|RX|ECHO|TIMEOUT|RESULT)/.test(l));
  const states = lines.filter((l) => l.startsWith("STATE") && !/WAIT_CANCELLED/.test(l))
    .map((l) => /^STATE LWSSSCS_(\S+)/.exec(l)?.[1] ?? l).join(" ");
  return { code: run.code, lines, states, out: run.out };
}

// lws' sspc-client asks for tx at every CONNECTED: on an h1 GET stream that starts another transaction after each
// DISCONNECTED (it sends ONWARD_CONNECT again, or its TX_PAYLOAD makes the proxy POLL and reconnect), until its
// timeout. -w keeps it there for 2 s so the first transaction is whole on the wire; the report shows that one.
const H1_WAIT = ["-w", "-t", "2"];

function h1Summary(r) {
  const states = r.states.split(" ");
  const first = states.indexOf("DISCONNECTED");
  const rx = r.lines.filter((l) => l.startsWith("RX flags")).slice(0, 2).map((l) => l.replace(/ \(.*?\)/, "").replace(/: '.*'$/, ""));
  const txns = states.filter((s) => s === "QOS_ACK_REMOTE").length;
  return `exit ${r.code}; first transaction: ${states.slice(0, first + 1).join(" ")}; rx ${rx.join(", ")}; ${txns} transactions in 2 s`;
}

// ---- the report ------------------------------------------------------------------------------------------------

const results = [];
function check(name, ok, detail = "") {
  results.push({ name, ok });
  console.log(`${ok ? "PASS" : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
}

function showLife(title, link) {
  console.log(`  -- ${title}`);
  if (!link) { console.log("     (no link captured)"); return []; }
  const frames = framesOf(link);
  for (const f of frames) console.log(`     ${describe(f)}`);
  return frames;
}

/** P->C frames up to the first CONNSTATE DISCONNECTED. */
function firstTransaction(frames) {
  const out = [];
  for (const f of frames) {
    if (f.dir !== "P->C" || f.fin) continue;
    out.push(f);
    if (f.type === 0x57 && f.len === 5 && f.body[0] === 2) break;
  }
  return out;
}

function compareShapes(a, b) {
  const sa = a.map(shape), sb = b.map(shape);
  const diffs = [];
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    if (sa[i] !== sb[i]) diffs.push(`#${i}: ours ${sa[i] ?? "(none)"} / lws ${sb[i] ?? "(none)"}`);
  }
  return diffs;
}

// ---- main ------------------------------------------------------------------------------------------------------

/** lws' example policies through our parser, in XS: each must load, unchanged. */
async function examplePolicies(src) {
  if (!fs.existsSync(src)) {
    console.log(`\n(no lws source tree at ${src}: its example policies were not loaded; --lws-src SRC)`);
    return;
  }
  console.log(`\n== lws' example policies (${src}) through ss/policy in XS`);
  const sim = await Simulator.start({ manifest: "test/device/ss/manifest.json" });
  try {
    for (const { file, text, error } of readExamplePolicies(src)) {
      if (error) {
        check(`policy ${file}`, false, error);
        continue;
      }
      const { result } = await sim.crank(`
        try {
          const p = importNow("ss/policy").parsePolicy(${JSON.stringify(text)}, { log() {} });
          return { streams: p.streams.map((t) => t.name + ":" + t.protocol), ignored: p.ignored.length };
        } catch (e) { return { error: String(e) }; }`);
      check(`policy ${file}`, !result.error,
        result.error ?? `${result.streams.length} stream types (${result.streams.join(", ")}), ${result.ignored} fields ignored and logged`);
    }
  } finally {
    await sim.close();
  }
}

async function main() {
  let o;
  try { o = parseArgs(process.argv.slice(2)); } catch (e) { console.error(`${e.message}\n\n${USAGE}`); return 64; }
  const progs = findPrograms(o.lws);
  if (!progs) {
    console.error(`no lws programs (ssproxy, sspc-client) under ${o.lws ?? "(give --lws DIR or LWS_INTEROP_DIR)"}\n\n${USAGE}`);
    return 2;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lws-interop-"));
  const body = `${o.payload} (h1 body)`;
  const echo = await tlsEcho();
  const web = await httpsGet(body);
  const policyText = policy(echo.port, web.port);
  const policyFile = path.join(tmp, "policy.json");
  fs.writeFileSync(policyFile, policyText);
  const mitms = [];
  const mitm = async (target) => { const m = await startMitm(target); mitms.push(m); return m; };
  const runs = [];
  let sim;
  console.log(`lws programs: ${path.dirname(progs.proxy)}; TLS echo 127.0.0.1:${echo.port}, HTTPS 127.0.0.1:${web.port}; work dir ${tmp}`);
  try {
    // ---- lws' proxy, on TCP and on a unix socket ----
    const lwsPort = await freePort();
    const lwsSock = path.join(tmp, "lws-proxy.sock");
    const lwsTcp = start(progs.proxy, ["-f", policyFile, "-p", String(lwsPort)]);
    const lwsUnix = start(progs.proxy, ["-f", policyFile, "-p", "0", "-i", lwsSock]);
    runs.push(lwsTcp, lwsUnix);
    await until(() => /ss proxy listening/.test(lwsTcp.out) && /ss proxy listening/.test(lwsUnix.out) || lwsTcp.code !== null ||
      lwsUnix.code !== null, 10000, "lws' ssproxy to listen");
    if (lwsTcp.code !== null || lwsUnix.code !== null) throw new Error(`lws' ssproxy ended:\n${lwsTcp.out}\n${lwsUnix.out}`);

    // ---- reference: lws client -> lws proxy ----
    console.log("\n== reference: lws sspc-client -> lws ssproxy (TCP, through the MITM)");
    const refRaw = await mitm({ port: lwsPort });
    const ref = await lwsClient(progs, ["-p", String(refRaw.port)], "echo_raw", o.payload);
    check("reference lws->lws echo_raw", ref.code === 0, `exit ${ref.code}, states ${ref.states}`);
    const refGetM = await mitm({ port: lwsPort });
    const refGet = await lwsClient(progs, ["-p", String(refGetM.port)], "get_h1", body, H1_WAIT);
    check("reference lws->lws get_h1", refGet.code === 0, h1Summary(refGet));
    await sleep(200);

    // ---- direction 1: our client (XS) -> lws proxy ----
    console.log("\n== direction 1: our sspc (XS, simulator) -> lws ssproxy");
    const d1Raw = await mitm({ port: lwsPort });
    const d1Get = await mitm({ port: lwsPort });
    const cases = [
      { name: "ours->lws-echo_raw-tcp", proxy: { port: d1Raw.port }, streamtype: "echo_raw", mode: "echo", payload: o.payload },
      { name: "ours->lws-echo_raw-unix", proxy: { path: lwsSock }, streamtype: "echo_raw", mode: "echo", payload: o.payload },
      { name: "ours->lws-get_h1-tcp", proxy: { port: d1Get.port }, streamtype: "get_h1", mode: "get", payload: body },
    ];
    sim = await Simulator.start({ manifest: "test/device/lws-interop/manifest.json", config: { cases } });
    const r1 = await sim.run("test/device/lws-interop/client", { timeout: 60000 });
    await sim.close();
    sim = undefined;
    const t1 = r1.traces;
    if (o.verbose) for (const l of t1) console.log(`  | ${l}`);
    check("direction 1: the device app ran to its end", !r1.aborted && !r1.timedOut && t1.includes("done"),
      r1.aborted ? `XS abort ${r1.aborted}` : r1.timedOut ? "timed out" : "");
    for (const c of cases) {
      const okLine = t1.find((l) => l === `ok ${c.name}` || l.startsWith(`not ok ${c.name}`));
      const states = (t1.find((l) => l.startsWith(`case ${c.name} states `)) ?? "").replace(`case ${c.name} states `, "")
        .replace(/LWSSSCS_/g, "");
      const rx = (t1.find((l) => l.startsWith(`case ${c.name} rx `)) ?? "").replace(`case ${c.name} rx `, "");
      const want = c.mode === "echo" ? "CREATING CONNECTING CONNECTED DISCONNECTED DESTROYING" : null;
      check(c.name, okLine === `ok ${c.name}` && (!want || states === want), `${okLine ?? "no result"}; states ${states}; rx ${rx}`);
    }

    // ---- direction 2: lws client -> our proxy (XS) ----
    console.log("\n== direction 2: lws sspc-client -> our ss/proxy (XS, simulator)");
    const ourPort = await freePort(), controlPort = await freePort();
    const ourSock = path.join(tmp, "our-proxy.sock");
    const t2 = [];
    sim = await Simulator.start({
      manifest: "test/device/lws-interop/manifest.json",
      config: { policy: policyText, port: ourPort, path: ourSock, controlPort, maxMs: 90000 },
      onTrace: (line) => { t2.push(line); if (o.verbose) console.log(`  | ${line}`); },
    });
    const simDone = sim.run("test/device/lws-interop/proxy", { timeout: 100000 });
    await until(() => t2.includes(`ss-proxy: listening on 127.0.0.1:${ourPort}`) && t2.includes(`ss-proxy: listening on ${ourSock}`),
      10000, "our proxy to listen");
    const d2Raw = await mitm({ port: ourPort });
    const d2Get = await mitm({ port: ourPort });
    const c1 = await lwsClient(progs, ["-p", String(d2Raw.port)], "echo_raw", o.payload);
    check("lws->ours-echo_raw-tcp", c1.code === 0 && c1.states === "CREATING CONNECTING CONNECTED DISCONNECTED DESTROYING",
      `exit ${c1.code}, states ${c1.states}`);
    const c2 = await lwsClient(progs, ["-u", `+${ourSock}`], "echo_raw", o.payload);
    check("lws->ours-echo_raw-unix", c2.code === 0 && c2.states === "CREATING CONNECTING CONNECTED DISCONNECTED DESTROYING",
      `exit ${c2.code}, states ${c2.states}`);
    const c3 = await lwsClient(progs, ["-p", String(d2Get.port)], "get_h1", body, H1_WAIT);
    check("lws->ours-get_h1-tcp", c3.code === 0, h1Summary(c3));
    if (o.verbose) for (const c of [c1, c2, c3]) console.log(c.out.replace(/^/gm, "  lws| "));
    await sleep(300);
    await new Promise((resolve) => { const s = net.connect(controlPort, "127.0.0.1", () => { s.end(); resolve(); }); s.on("error", resolve); });
    const r2 = await simDone;
    await sim.close();
    sim = undefined;
    check("direction 2: the device proxy stopped cleanly", !r2.aborted && !r2.timedOut && t2.includes("done") &&
      t2.some((l) => /streams left 0$/.test(l)), `${t2.filter((l) => /^proxy |^stopped/.test(l)).join("; ")}`);
    const bad = t2.filter((l) => /bad input|closed: client too slow/.test(l));
    check("direction 2: no link closed as bad input", bad.length === 0, bad.join("; "));

    // ---- the wire ----
    console.log(`\n== wire: one echo_raw life each way (payload "${o.payload}"); C = client, P = proxy`);
    const refFrames = showLife("reference: lws client <-> lws proxy", refRaw.links[0]);
    const f1 = showLife("direction 1: OUR client <-> lws proxy", d1Raw.links[0]);
    const f2 = showLife("direction 2: lws client <-> OUR proxy", d2Raw.links[0]);
    for (const [name, frames] of [["reference", refFrames], ["direction 1", f1], ["direction 2", f2]]) {
      const diffs = checkRawLife(frames, "echo_raw", o.payload);
      check(`${name} wire vs peers.md's table`, diffs.length === 0, diffs.join("; "));
    }
    const s1 = compareShapes(f1, refFrames), s2 = compareShapes(f2, refFrames);
    check("direction 1 wire vs lws<->lws (pid, latency, timestamps masked)", s1.length === 0, s1.join("; "));
    check("direction 2 wire vs lws<->lws (pid, latency, timestamps masked)", s2.length === 0, s2.join("; "));
    // h1: the proxy's side of the first transaction (CREATE_RESULT .. DISCONNECTED). lws' test client asks for tx at
    // every CONNECTED, so what follows (its TX_PAYLOAD or a new ONWARD_CONNECT, the proxy's POLL) depends on timing.
    const show = o.verbose ? showLife : (_t, link) => (link ? framesOf(link) : []);
    const g0 = firstTransaction(show("reference get_h1", refGetM.links[0]));
    const g1 = firstTransaction(show("direction 1 get_h1", d1Get.links[0]));
    const g2 = firstTransaction(show("direction 2 get_h1", d2Get.links[0]));
    const h1a = compareShapes(g1, g0), h1b = compareShapes(g2, g0);
    check("direction 1 get_h1 proxy frames vs lws<->lws (first transaction)", g0.length > 0 && h1a.length === 0, h1a.join("; "));
    check("direction 2 get_h1 proxy frames vs lws<->lws (first transaction)", g0.length > 0 && h1b.length === 0, h1b.join("; "));
    console.log(`\nHTTPS server: ${web.requests.length} requests (${[...new Set(web.requests)].join(", ")})`);
    await examplePolicies(o.src ?? path.join(o.lws, "src"));
  } catch (e) {
    check("run", false, e.stack ?? String(e));
  } finally {
    if (sim) await sim.close().catch(() => {});
    for (const r of runs) await stop(r);
    for (const m of mitms) await m.close();
    await echo.close();
    await web.close();
    if (results.some((r) => !r.ok)) for (const r of runs) if (o.verbose || r.code !== 0 && r.code !== "SIGINT") console.log(r.out);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.ok);
  console.log(`\n${results.length - failed.length} of ${results.length} checks passed${failed.length ? `; failed: ${failed.map((r) => r.name).join(", ")}` : ""}`);
  return failed.length ? 1 : 0;
}

const code = await main();
for (const c of children) c.kill("SIGKILL");
process.exit(code);
