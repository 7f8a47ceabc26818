// Ministreaming tunnels over relay links (issue 16): two devices, each in its own simulator (real XS), each only
// dialing the relay (tools/relay's RelayServer on 127.0.0.1), as two devices behind NAT would. Each routes to the
// other's public key; a ministreaming Tunnel runs over the relay link through ConnectionLink. Device A opens
// streams; device B's tunnel serves them by connecting to a Node TCP service (first byte "E": echo the rest, "S":
// send a pattern and end). Several streams at once with SHA-256-checked data both ways, and one stream left unread
// while another two flow beside it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import net from "node:net";
import path from "node:path";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { randomFillSync } from "node:crypto";
import { Simulator } from "../sim/simulator.js";
import { parseReport } from "./support/device.js";
import { sha256, pattern } from "./support/servers.js";
import { startRelay, prepareNoble, newSecret, hex } from "./device/relay/support.js";
import { crypto } from "../tools/relay/shared.js";

const MANIFEST = "test/device/ministream-relay/manifest.json";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The Node service B's tunnel connects to; `received` gets { bytes, sha256 } of each connection's bytes. */
async function startService(sourceSize) {
  const received = [];
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const chunks = [];
    let mode = null;
    socket.on("data", (d) => {
      chunks.push(d);
      if (mode === null) {
        mode = d[0];
        if (mode === 0x53) socket.end(pattern(sourceSize, 1));
        else if (mode === 0x45) { if (d.length > 1) socket.write(d.subarray(1)); }
        else socket.destroy();
        return;
      }
      if (mode === 0x45) socket.write(d);
    });
    socket.on("end", () => { if (mode === 0x45) socket.end(); });
    socket.on("close", () => {
      const all = Buffer.concat(chunks);
      received.push({ mode: all[0], bytes: all.length - 1, sha256: sha256(all.subarray(1)) });
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: server.address().port, received,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

function seed() {
  const s = new Uint32Array(1);
  randomFillSync(s);
  return s[0];
}

async function startDevice(config, start = {}) {
  return Simulator.start({ manifest: MANIFEST, config: { relayTunnel: { seed: seed(), ...config } }, ...start });
}

async function runDevice(sim, timeout) {
  const { aborted, timedOut, traces } = await sim.run("ministream-relay-device", { timeout });
  await sim.close();
  return { ...parseReport(traces), aborted, timedOut, traces };
}

async function device(config, timeout) {
  return runDevice(await startDevice(config), timeout);
}

function finished(r, who) {
  assert.is(r.aborted, null, `${who}: XS abort`);
  assert.not.ok(r.timedOut, `${who}: did not finish`);
  assert.ok(r.done, `${who}: no done line\n${r.traces.slice(-30).join("\n")}`);
  for (const c of r.cases) assert.ok(c.ok, `${who} ${c.name}: ${c.why}`);
}

const streams = 4, size = 32 * 1024, sourceSize = 64 * 1024;

test("two devices behind NAT open ministreaming streams to each other over relay links: echo streams and an unread stream, SHA-256 checked", async () => {
  prepareNoble();
  const relay = await startRelay();
  const svc = await startService(sourceSize);
  try {
    const secretA = newSecret(), secretB = newSecret();
    const pubA = hex(crypto.publicKeyOf(secretA)), pubB = hex(crypto.publicKeyOf(secretB));
    const common = { port: relay.port, relayKey: relay.keyHex, streams, size, sourceSize };
    const t = Date.now();
    const [a, b] = await Promise.all([
      device({ ...common, role: "client", secretKey: hex(secretA), peerKey: pubB }, 120000),
      device({ ...common, role: "server", secretKey: hex(secretB), peerKey: pubA, service: svc.port }, 120000),
    ]);
    await checkRun(a, b, svc, relay.log, relay.server, Date.now() - t);
  } finally {
    await svc.close();
    await relay.close();
  }
});

test("the simulator's embedded relay (Simulator.start({ relay })): device A's simulator runs it, device B dials it; the same tunnel runs", async () => {
  prepareNoble();
  const svc = await startService(sourceSize);
  try {
    const secretA = newSecret(), secretB = newSecret();
    const pubA = hex(crypto.publicKeyOf(secretA)), pubB = hex(crypto.publicKeyOf(secretB));
    const common = { streams, size, sourceSize };
    // A's relayTunnel names no relay: it takes mc/config relay, which the embedded relay filled in
    const simA = await startDevice({ ...common, role: "client", secretKey: hex(secretA), peerKey: pubB }, { relay: { port: 0 } });
    const embedded = simA.relay;
    assert.ok(embedded && embedded.port > 0 && /^[0-9a-f]{64}$/.test(embedded.keyHex), "sim.relay: port and key");
    assert.is(embedded.host, "127.0.0.1");
    const simB = await startDevice({ ...common, role: "server", port: embedded.port, relayKey: embedded.keyHex, secretKey: hex(secretB), peerKey: pubA, service: svc.port });
    const t = Date.now();
    const [a, b] = await Promise.all([runDevice(simA, 120000), runDevice(simB, 120000)]);
    await checkRun(a, b, svc, embedded.log, embedded.server, Date.now() - t);
    // sim.close() stopped the relay: nothing listens on its port any more
    const refused = await new Promise((resolve) => {
      const s = net.connect(embedded.port, "127.0.0.1");
      s.on("connect", () => { s.destroy(); resolve(false); });
      s.on("error", () => resolve(true));
    });
    assert.ok(refused, "the embedded relay stopped with its simulator");
  } finally {
    await svc.close();
  }
});

async function checkRun(a, b, svc, relayLog, relayServer, ms) {
  finished(a, "device A");
  finished(b, "device B");
  assert.equal(a.cases.map((c) => c.name), ["echo-streams", "unread-stream-does-not-stop-another"]);
  const shas = new Map(), figures = new Map();
  for (const line of a.traces) {
    let m = /^sha (\S+) ([0-9a-f]{64}) (\d+)$/.exec(line);
    if (m) shas.set(m[1], { sha256: m[2], bytes: Number(m[3]) });
    m = /^figure (\S+) (\d+)$/.exec(line);
    if (m) figures.set(m[1], Number(m[2]));
  }
  // A -> B -> service -> B -> A: what came back is what was sent
  for (let i = 0; i < streams; i++) assert.equal(shas.get(`echo-${i}`), { sha256: sha256(pattern(size, i + 1)), bytes: size }, `echo stream ${i}`);
  assert.equal(shas.get("z"), { sha256: sha256(pattern(size, 99)), bytes: size }, "the echo stream beside the unread one");
  const src = { sha256: sha256(pattern(sourceSize, 1)), bytes: sourceSize };
  assert.equal(shas.get("y"), src, "Y, drained while X was unread");
  assert.equal(shas.get("x"), src, "X, read afterwards");
  // what the service received on each echo connection (A's uploads, as B's tunnel delivered them)
  for (let i = 0; i < 50 && svc.received.length < streams + 3; i++) await new Promise((r) => setTimeout(r, 20));
  const echoes = svc.received.filter((r) => r.mode === 0x45).map((r) => r.sha256).sort();
  const sent = [...Array(streams).keys()].map((i) => sha256(pattern(size, i + 1))).concat([sha256(pattern(size, 99))]).sort();
  assert.equal(echoes, sent, "what each echo connection received");
  assert.is(svc.received.filter((r) => r.mode === 0x53).length, 2, "two source connections");
  // B's link ended because A closed its side
  assert.ok(b.traces.some((l) => /^server link ended: /.test(l)), "B saw its link end");
  // both devices only dialed the relay; it linked them and forwarded the tunnel's bytes
  assert.ok(relayLog.some((l) => /link .* online/.test(l)), "the relay linked the two");
  const moved = 2 * streams * size + 2 * size + 2 * sourceSize;
  assert.ok(relayServer.stats.forwardedBytes >= moved, `forwarded ${relayServer.stats.forwardedBytes} < ${moved}`);
  console.log(`  ${streams} echo streams x ${size} B: ${figures.get("echo-ms")} ms; Y (${sourceSize} B) + echo (${size} B) beside unread X: ` +
    `${figures.get("beside-unread-ms")} ms, X held ${figures.get("x-held-bytes")} B; relay forwarded ${relayServer.stats.forwardedBytes} B; total ${ms} ms`);
}

test("sim/main.js --relay PORT: the app finds the embedded relay in mc/config and talks to it", async () => {
  prepareNoble();
  const { code, stdout, stderr } = await new Promise((resolve) => execFile(process.execPath,
    ["sim/main.js", "--manifest", MANIFEST, "--app", "sim-relay-check", "--relay", "0", "--no-demo-servers", "--timeout", "30000"],
    { cwd: ROOT, timeout: 60000 }, (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr })));
  assert.is(code, 0, stderr);
  assert.match(stdout, /^fieldsim: relay listening on 127\.0\.0\.1:\d+, public key [0-9a-f]{64}$/m);
  const lines = stdout.split("\n").filter((l) => /^(ok|not ok|done)/.test(l));
  assert.equal(lines, ["ok embedded-relay-open", "ok embedded-relay-answers", "done"]);
  const bad = await new Promise((resolve) => execFile(process.execPath, ["sim/main.js", "--relay", "x"], { cwd: ROOT },
    (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stderr })));
  assert.is(bad.code, 64);
  assert.match(bad.stderr, /--relay wants a port from 0 to 65535/);
});

test.run();
