// The `tipi` command (client/tipi-cli.js) as a user meets it: what it prints on stdout and stderr and how it exits,
// for each command, for a failed open (and why), for the CA it is given (PEM, DER, missing, not a certificate), for
// a device that cannot start (its port in use), and its --help.
import { test } from "uvu";
import * as assert from "uvu/assert";
import net from "node:net";
import { closedPort } from "./support/ports.js";
import https from "node:https";
import { spawn } from "node:child_process";
import * as S from "./support/servers.js";
import { tipiDevice, cli, CLI, ROOT, chain } from "./support/tipi.js";

const t = await tipiDevice();
const link = ["--link", t.device.link];

/** An HTTPS server for localhost (the test CA's chain); handler(request, response). */
async function httpsServer(handler) {
  const server = https.createServer({ cert: chain, key: S.certs.serverKey }, handler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: server.address().port, close: () => { server.closeAllConnections(); server.close(); } };
}


/** `tipi ARGS` run until its stderr shows `ready` (then it is stopped) or it exits; resolves { code, stderr }. */
function runUntil(args, ready, ms = 20000) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    const timer = setTimeout(() => child.kill("SIGTERM"), ms);
    child.stdout.on("data", (d) => { stdout += d; });
    let stopping = false;
    child.stderr.on("data", (d) => {
      stderr += d;
      if (!stopping && ready.test(stderr)) {
        stopping = true; // once: a second SIGTERM while it shuts down would end it the hard way
        child.kill("SIGTERM");
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, stdout, stderr });
    });
  });
}

test("cli: open / write / read / close drive a handle, one command per run, exit 0", async () => {
  try {
    const opened = await cli([...link, "open", "100", t.ECHO]);
    assert.is(opened.stdout.toString(), "ok\n", opened.stderr);
    assert.is(opened.code, 0);
    assert.is((await cli([...link, "write", "100", "from the terminal"])).stdout.toString(), "ok\n");
    assert.is((await cli([...link, "write", "100", "-"], { input: Buffer.from([0, 1, 2, 255]) })).stdout.toString(), "ok\n");
    // `tipi read` prints what the device holds (nothing yet is no error): read until the whole echo has come
    const expected = Buffer.concat([Buffer.from("from the terminal"), Buffer.from([0, 1, 2, 255])]);
    const chunks = [];
    let have = 0;
    const end = Date.now() + 10000;
    while (have < expected.length) {
      const read = await cli([...link, "read", "100", "100"]);
      assert.is(read.code, 0, read.stderr);
      chunks.push(read.stdout);
      have += read.stdout.length;
      if (!read.stdout.length) assert.ok(Date.now() < end, `tipi read: ${have} of ${expected.length} bytes after 10 s`);
    }
    assert.equal(Buffer.concat(chunks), expected);
    const closed = await cli([...link, "close", "100"]);
    assert.is(closed.stdout.toString(), "ok\n");
    assert.is(closed.code, 0);
  } finally {
    await t.reconnect(); // the runs took the link over
  }
});

test("cli: read --wait asks again until the bytes come", async () => {
  try {
    assert.is((await cli([...link, "open", "101", t.ECHO])).code, 0);
    assert.is((await cli([...link, "write", "101", "waited for"])).code, 0);
    const read = await cli([...link, "read", "101", "4096", "--wait", "5000"]);
    assert.is(read.code, 0, read.stderr);
    assert.is(read.stdout.toString(), "waited for");
    const nothing = await cli([...link, "read", "101", "4096", "--wait", "300"]);
    assert.is(nothing.code, 3, "nothing came in time: exit 3");
    assert.match(nothing.stderr, /^tipi: read 101: nothing arrived within 300 ms\n$/);
    assert.is((await cli([...link, "close", "101"])).code, 0);
  } finally {
    await t.reconnect();
  }
});

test("cli: a failed open prints failed, exits 1, and says where the reason is (a tipi serve device)", async () => {
  try {
    const failed = await cli([...link, "open", "102", `127.0.0.1:${await closedPort()}`]);
    assert.is(failed.stdout.toString(), "failed\n");
    assert.is(failed.code, 1);
    assert.match(failed.stderr, /^tipi: open 102 127\.0\.0\.1:\d+: the device answered failure \(0\); why is in its log \(the tipi serve terminal, or a board's debug console\)\n$/);
  } finally {
    await t.reconnect();
  }
});

test("cli: with --link sim a failed open prints the device's reason on stderr, without -v", async () => {
  const server = await S.untrusted(); // a server whose CA the device does not trust
  try {
    const failed = await cli(["--link", "sim", "open", "0", `localhost:${server.port}`]);
    assert.is(failed.stdout.toString(), "failed\n");
    assert.is(failed.code, 1);
    assert.match(failed.stderr, /tipi: open 0 localhost:\d+: the device answered failure \(0\); its log says:\ndevice: tipi: open 0 localhost:\d+ -> failed TLS_CERT_UNTRUSTED: server certificate not accepted/);
  } finally {
    await server.close();
  }
});

test("cli: fetch GETs an https URL through a handle and prints the response (--body: the body)", async () => {
  const server = await httpsServer((request, response) => {
    response.setHeader("Content-Type", "text/plain");
    response.end(`you asked for ${request.url} on ${request.headers.host}\n`.repeat(200));
  });
  try {
    const url = `https://localhost:${server.port}/some/path?x=1`;
    const full = await cli([...link, "fetch", url]);
    assert.is(full.code, 0, full.stderr);
    const text = full.stdout.toString();
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(text.endsWith(`you asked for /some/path?x=1 on localhost:${server.port}\n`));
    const body = await cli([...link, "fetch", url, "--body", "--handle", "7"]);
    assert.is(body.stdout.toString(), `you asked for /some/path?x=1 on localhost:${server.port}\n`.repeat(200));
  } finally {
    server.close();
    await t.reconnect();
  }
});

test("cli: fetch of a body cut short (the peer closed or reset early) exits 1 and says so", async () => {
  const server = await httpsServer((request, response) => {
    response.writeHead(200, { "Content-Length": "1000" });
    response.write("x".repeat(500));
    setTimeout(() => response.socket.destroy(), 50);
  });
  try {
    const cut = await cli([...link, "fetch", `https://localhost:${server.port}/`, "--body"]);
    assert.is(cut.code, 1, cut.stderr);
    assert.is(cut.stdout.toString(), "x".repeat(500));
    assert.match(cut.stderr, /^tipi: fetch https:\/\/localhost:\d+\/: the response ended early \(500 of 1000 body bytes\): the peer closed or reset the connection\n$/);
  } finally {
    server.close();
    await t.reconnect();
  }
});

test("cli: --ca takes PEM or DER, says which it loaded, and the device trusts it", async () => {
  const server = await httpsServer((request, response) => response.end("trusted\n"));
  try {
    const url = `https://localhost:${server.port}/`;
    for (const [file, kind] of [["test/fixtures/certs/ca.pem", "PEM, converted to DER"], ["test/fixtures/certs/ca.der", "DER"]]) {
      const run = await cli(["--link", "sim", "--ca", file, "fetch", url, "--body"]);
      assert.is(run.code, 0, run.stderr);
      assert.is(run.stdout.toString(), "trusted\n");
      assert.is(run.stderr, `tipi: the simulated device trusts O=Moddable Field Test, CN=Field Test Root CA from ${file} (${kind})\n`);
    }
  } finally {
    server.close();
  }
});

test("cli: --ca that is missing, or holds no certificate, exits 2 naming the path; nothing aborts", async () => {
  const missing = await cli(["--link", "sim", "--ca", "no/such/ca.pem", "open", "0", "localhost:443"]);
  assert.is(missing.code, 2);
  assert.is(missing.stdout.length, 0);
  assert.is(missing.stderr, `tipi: --ca no/such/ca.pem: no such file (${ROOT}no/such/ca.pem)\n`);
  const key = await cli(["--link", "sim", "--ca", "test/fixtures/certs/server.key", "open", "0", "localhost:443"]);
  assert.is(key.code, 2);
  assert.is(key.stderr, `tipi: --ca test/fixtures/certs/server.key: a PEM file with no CERTIFICATE in it (it holds a PRIVATE KEY) (${ROOT}test/fixtures/certs/server.key)\n`);
  const serve = await cli(["serve", "--port", "0", "--ca", "nope.der"]);
  assert.is(serve.code, 2);
  assert.is(serve.stderr, `tipi: --ca nope.der: no such file (${ROOT}nope.der)\n`);
});

test("cli: serve says which CA its device trusts (the test CA without --ca; the file given, PEM or DER)", async () => {
  const bundled = await runUntil(["serve", "--port", "0"], /listening on/);
  assert.match(bundled.stderr, /^device: tipi: serving the TLS extension on 127\.0\.0\.1:\(any free port\); trusted CA: resource "ca\.der" \(479 bytes\)\n/m);
  assert.match(bundled.stderr, /^tipi: simulated device listening on 127\.0\.0\.1:\d+; it trusts the app's own CA, test\/fixtures\/certs\/ca\.der \(no --ca given: the repository's test CA, for its test servers only\) \(Ctrl-C stops it\)$/m);
  const pem = await runUntil(["serve", "--port", "0", "--ca", "test/fixtures/certs/rogue-ca.pem"], /listening on/);
  assert.match(pem.stderr, /^tipi: simulated device listening on 127\.0\.0\.1:\d+; it trusts O=Moddable Field Test, CN=Rogue CA from test\/fixtures\/certs\/rogue-ca\.pem \(PEM, converted to DER\) \(Ctrl-C stops it\)$/m);
  assert.is(bundled.code, 0, "SIGTERM stops it cleanly");
});

test("cli: serve on a port in use exits 4 with one line saying so (no abort, no stack)", async () => {
  const busy = net.createServer();
  await new Promise((resolve) => busy.listen(0, "127.0.0.1", resolve));
  try {
    const run = await runUntil(["serve", "--port", String(busy.address().port)], /listening on/);
    assert.is(run.code, 4);
    assert.is(run.stderr, `tipi: the simulated device could not start: cannot listen on 127.0.0.1:${busy.address().port}: Error: listener: EADDRINUSE; the TLS extension is not served (the port is in use: another tipi serve?)\n`);
  } finally {
    busy.close();
  }
});

test("cli: serve --test-server starts the HTTPS test server before the device; a busy one is exit 4", async () => {
  const both = await runUntil(["serve", "--port", "0", "--test-server", "0"], /simulated device listening on/);
  assert.is(both.code, 0, both.stderr);
  const server = both.stderr.indexOf("tipi: test HTTPS server for localhost on 127.0.0.1:");
  const device = both.stderr.indexOf("tipi: simulated device listening on");
  assert.ok(server >= 0 && server < device, both.stderr);
  const busy = net.createServer();
  await new Promise((resolve) => busy.listen(0, "127.0.0.1", resolve));
  try {
    const run = await runUntil(["serve", "--port", "0", "--test-server", String(busy.address().port)], /listening on/);
    assert.is(run.code, 4);
    assert.is(run.stderr, `tipi: the test server could not start: port ${busy.address().port} is in use (another tipi test-server?)\n`);
  } finally {
    busy.close();
  }
});

test("cli: a link nothing listens on exits 3 and says so", async () => {
  const run = await cli(["--link", `127.0.0.1:${await closedPort()}`, "open", "0", "localhost:443"]);
  assert.is(run.code, 3);
  assert.match(run.stderr, /^tipi: cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED for 5000 ms \(nothing listens there: is `tipi serve` running\?\)\n$/);
});

test("cli: bad usage exits 2 with the usage; --help lists the commands and the exit codes, exit 0", async () => {
  const usage = await cli([...link, "open", "300", t.ECHO]);
  assert.is(usage.code, 2);
  assert.match(usage.stderr, /^tipi: HANDLE must be 0-255, not 300\nusage: tipi /);
  const help = await cli(["--help"]);
  assert.is(help.code, 0);
  const text = help.stdout.toString();
  for (const word of ["open HANDLE", "write HANDLE", "read HANDLE", "close HANDLE", "fetch https://", "serve", "test-server", "--ca FILE", "--wait"]) {
    assert.ok(text.includes(word), `--help mentions ${word}`);
  }
  assert.match(text, /Exit status:\n  0  done[^\n]*\n  1  the device answered failure[^\n]*\n  2  bad usage[^\n]*\n  3  the link failed[^\n]*\n  4  a simulated device or test server could not start[^\n]*\n  5  an internal error/);
});

test("cli: the device never aborted and logged no internal error", () => {
  t.healthy();
});

test.after(() => t.close());
test.run();
