// The TLS client (modules/tls) in XS against real TLS servers on 127.0.0.1: round trips, backpressure and
// byte-exact transfers both ways, peer close, and every failure as a coded error (never an abort).
import { test } from "uvu";
import * as assert from "uvu/assert";
import net from "node:net";
import * as servers from "./support/servers.js";
import { runDevice } from "./support/device.js";

// The cases each scenario of test/device/tls-client.ts reports, in order: a run must report exactly these, all ok.
const CASES = {
  echo: ["echo-resolver-lookups", "echo-round-trip", "is-open-while-connected", "closed-after-close", "write-after-close-is-coded"],
  download: ["download-ends-with-tls-closed", "download-every-byte-in-order", "download-rx-ring-filled"],
  upload: ["upload-all-bytes-taken", "upload-full-tx-ring-returns-0"],
  refused: ["refusal-is-coded", "refusal-state-is-failed", "refusal-surfaces-on-next-call"],
  unverified: ["verify-off-connects"],
  "bad-arguments": ["port-zero", "port-too-large", "empty-host", "host-with-port", "no-ca", "tiny-ring", "read-range"]
    .map((name) => `bad-argument-${name}`),
};

async function scenario(scenario, server, config = {}) {
  const run = await runDevice("test/device/tls-client", { config: { scenario, port: server.port, ...config } });
  assert.is(run.aborted, null, "the device aborted");
  assert.not.ok(run.timedOut, "the device did not finish");
  assert.ok(run.done, "no `done` line");
  for (const c of run.cases) assert.ok(c.ok, `${c.name}: ${c.why}`);
  assert.equal(run.cases.map((c) => c.name), CASES[scenario], "the cases reported");
  return run;
}

async function withServer(start, body) {
  const server = await start();
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

test("tls: echo round trip through the DNS resolver (one lookup of localhost), with a verified certificate", () =>
  withServer(() => servers.tlsEcho(), (s) => scenario("echo", s, { lookups: 1 })));

test("tls: connects to a literal IPv4 address (IP SAN), skipping the resolver (no lookup)", () =>
  withServer(() => servers.tlsEcho(), (s) => scenario("echo", s, { host: "127.0.0.1", lookups: 0 })));

test("tls: 1 MiB download through a 512-byte rx ring, every byte in order, then TLS_CLOSED", () =>
  withServer(() => servers.tlsSource(1 << 20), (s) => scenario("download", s, { size: 1 << 20 })));

test("tls: peer closes after 70,001 bytes: all of them are read before TLS_CLOSED", () =>
  withServer(() => servers.tlsSource(70001), (s) => scenario("download", s, { size: 70001 })));

test("tls: 512 KiB upload through a 1 KiB tx ring arrives byte-exact (SHA-256 at the server)", () =>
  withServer(() => servers.tlsSink(), async (s) => {
    const size = 512 * 1024;
    await scenario("upload", s, { size });
    const [received] = await s.waitReceived(1, 5000);
    assert.is(received.bytes, size);
    assert.is(received.sha256, servers.sha256(servers.pattern(size)));
  }));

test("tls: 256 KiB upload through a 4 KiB tx ring (larger than the socket's writable space) arrives byte-exact", () =>
  withServer(() => servers.tlsSink(), async (s) => {
    const size = 256 * 1024 + 333;
    await scenario("upload", s, { size, txSize: 4096 });
    const [received] = await s.waitReceived(1, 5000);
    assert.is(received.bytes, size);
    assert.is(received.sha256, servers.sha256(servers.pattern(size)));
  }));

const refusals = [
  ["untrusted CA", servers.untrusted, "TLS_CERT_UNTRUSTED"],
  ["expired certificate", servers.expiredCert, "TLS_CERT_EXPIRED"],
  ["root without Authority Key Identifier", servers.noAki, "TLS_CERT_CHAIN"],
  ["wrong host name", servers.wrongName, "TLS_CERT_UNTRUSTED"],
  ["leaf sent without its issuer", servers.leafOnly, "TLS_CERT_UNTRUSTED"],
  ["TLS 1.3-only server", servers.tls13Only, "TLS_HANDSHAKE"],
  ["AES-256-GCM-only server", servers.aes256Only, "TLS_HANDSHAKE"],
  ["X25519-only server", servers.x25519Only, "TLS_HANDSHAKE"],
];
for (const [what, start, code] of refusals) {
  test(`tls: ${what} -> ${code}, no abort`, () =>
    withServer(() => start(), async (s) => {
      const run = await scenario("refused", s, { expect: code });
      assert.ok(run.traces.some((l) => l.includes(code)), "the code is in the device log");
    }));
}

test("tls: unknown host name -> TLS_DNS", async () => {
  await scenario("refused", { port: 443 }, { host: "no-such-host.test", expect: "TLS_DNS" });
});

test("tls: nothing listening -> TLS_CONNECT_FAILED", async () => {
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, "127.0.0.1", r));
  const port = probe.address().port;
  await new Promise((r) => probe.close(r));
  await scenario("refused", { port }, { expect: "TLS_CONNECT_FAILED" });
});

test("tls: a server that never answers the handshake -> TLS_TIMEOUT (connect timeout)", async () => {
  const sockets = new Set();
  let accepted = 0;
  const silent = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise((r) => silent.listen(0, "127.0.0.1", r));
  try {
    await scenario("refused", { port: silent.address().port }, { expect: "TLS_TIMEOUT", connectTimeout: 500 });
    assert.is(accepted, 1, "the device's connection reached the server (the handshake, not the connect, timed out)");
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test("tls: verification turned off is explicit and logged", () =>
  withServer(() => servers.untrusted(), async (s) => {
    const run = await scenario("unverified", s);
    assert.ok(run.traces.some((l) => l.includes("WARNING certificate verification is OFF")));
  }));

test("tls: bad arguments throw TLS_BAD_ARGUMENT", () =>
  withServer(() => servers.tlsEcho(), (s) => scenario("bad-arguments", s)));

test.run();
