// Refusals: an open answers [0] and the device log has the TLS code (untrusted CA, expired certificate, wrong name,
// refused port, unknown name, no CA at all); a write the server never takes answers [0] after writeTimeout.
import { test } from "uvu";
import * as assert from "uvu/assert";
import net from "node:net";
import tls from "node:tls";
import * as S from "./support/servers.js";
import { tipiDevice, chain } from "./support/tipi.js";

const t = await tipiDevice({ echo: false });

for (const [name, start, code] of [["an untrusted CA", S.untrusted, "TLS_CERT_UNTRUSTED"],
  ["an expired certificate", S.expiredCert, "TLS_CERT_EXPIRED"], ["a wrong host name", S.wrongName, "TLS_CERT_UNTRUSTED"]]) {
  test(`refusal: ${name} fails open with [0] and ${code} in the device log`, async () => {
    const server = await start();
    try {
      const at = t.mark();
      assert.is(await t.client.open(80, `localhost:${server.port}`), false);
      await t.logged(at, new RegExp(`^tipi: open 80 localhost:\\d+ -> failed ${code}: `));
      assert.equal(await t.client.read(80, 10), Buffer.alloc(0), "the handle is not open");
      assert.is(await t.client.write(80, "x"), false);
    } finally {
      await server.close();
    }
  });
}

test("refusal: a closed port fails open with [0] and TLS_CONNECT_FAILED", async () => {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
  const at = t.mark();
  assert.is(await t.client.open(81, `127.0.0.1:${port}`), false);
  await t.logged(at, /^tipi: open 81 127\.0\.0\.1:\d+ -> failed TLS_CONNECT_FAILED: /);
});

test("refusal: a name the DNS does not know fails open with [0] and TLS_DNS", async () => {
  const at = t.mark();
  assert.is(await t.client.open(82, "no-such-host.invalid:443"), false);
  await t.logged(at, /^tipi: open 82 no-such-host\.invalid:443 -> failed TLS_DNS: /);
});

test("refusal: a device without its CA resource keeps serving; every open fails with the reason", async () => {
  const bare = await tipiDevice({ tipi: { caResource: "missing.der" } });
  try {
    // (port 0: the simulator picked the port)
    assert.ok(bare.log.includes('tipi: serving the TLS extension on 127.0.0.1:(any free port); no trusted CA: the app has no resource "missing.der" (config.tipi.caResource); every open fails until it has one'), bare.log.join("\n"));
    const at = bare.mark();
    assert.is(await bare.client.open(0, bare.ECHO), false);
    await bare.logged(at, /^tipi: open 0 localhost:\d+ -> failed: no trusted CA: the app has no resource "missing\.der" \(config\.tipi\.caResource\)$/);
    assert.equal(await bare.client.read(0, 10), Buffer.alloc(0));
    bare.healthy();
  } finally {
    await bare.close();
  }
});

test("refusal: a write the server never takes answers [0] after writeTimeout and closes the handle", async () => {
  // A second device with a short writeTimeout; the server stops reading, so the device's send path fills up.
  const accepted = new Set();
  const server = tls.createServer({ cert: chain, key: S.certs.serverKey }, (socket) => {
    socket.pause();
    socket.on("error", () => {});
  });
  server.on("connection", (socket) => accepted.add(socket)); // paused sockets never see the device's close
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const slow = await tipiDevice({ tipi: { writeTimeout: 300 }, echo: false });
  try {
    assert.ok(await slow.client.open(1, `localhost:${server.address().port}`));
    const chunk = Buffer.alloc(4093, 0x5a);
    let taken = 0;
    while (await slow.client.write(1, chunk)) taken += chunk.length;
    assert.ok(taken > 0);
    assert.ok(slow.log.some((l) => /^tipi: write 1: stalled for 300 ms after \d+ of 4093 bytes -> 0; handle closed/.test(l)), slow.log.join("\n"));
    assert.is(await slow.client.write(1, Buffer.alloc(0)), false, "the handle is closed");
    assert.ok(await slow.client.open(2, `localhost:${server.address().port}`), "the device still works");
    slow.healthy();
  } finally {
    await slow.close();
    for (const socket of accepted) socket.destroy();
    server.close();
  }
});

test("refusal: the device never aborted and logged no internal error", () => {
  t.healthy();
});

test.after(() => t.close());
test.run();
