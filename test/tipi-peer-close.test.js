// The peer closing or resetting a TIPI handle's connection: every byte that reached the device is still delivered,
// then writes answer [0] and reads end. The board cannot tell a close from a reset (both are onError() with no
// argument), so the device's log says "closed or reset" and never claims that every byte the peer sent arrived.
import { test } from "uvu";
import * as assert from "uvu/assert";
import net from "node:net";
import tls from "node:tls";
import * as S from "./support/servers.js";
import { tipiDevice, readExactly, chain } from "./support/tipi.js";

const t = await tipiDevice({ echo: false });

test("peer close mid-transfer: every byte it sent is still delivered; then write answers [0] and reads end", async () => {
  // The server sends 256 KiB and closes at once. As on a board, the close is seen only after the bytes before it
  // were taken (the TCP reports it once its receive buffer is empty): the device pushes back until then.
  const size = 256 * 1024;
  const source = await S.tlsSource(size, { seed: 70 });
  try {
    const at = t.mark();
    assert.ok(await t.client.open(70, `localhost:${source.port}`));
    const data = await readExactly(t.client, 70, size);
    assert.is(S.sha256(data), S.sha256(S.pattern(size, 70)));
    await t.logged(at, /^tls\/70: localhost:\d+ closed or reset by peer$/, 10000);
    assert.is(await t.client.write(70, "too late"), false, "write after the peer closed -> [0]");
    assert.is(await t.client.write(70, Buffer.alloc(0)), false, "the probe says the same");
    assert.equal(await t.client.read(70, 100), Buffer.alloc(0), "then reads end");
    await t.logged(at, /^tipi: handle 70 released: TLS_CLOSED/);
    assert.ok(await t.client.close(70));
  } finally {
    await source.close();
  }
});

test("peer close: a server that sends a little and closes at once is read to the end by readToEnd", async () => {
  const server = tls.createServer({ cert: chain, key: S.certs.serverKey }, (socket) => {
    socket.on("error", () => {});
    socket.end("bye now");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    assert.ok(await t.client.open(71, `localhost:${server.address().port}`));
    const chunks = [];
    await t.client.readToEnd(71, { onData: (chunk) => chunks.push(chunk) });
    assert.is(Buffer.concat(chunks).toString(), "bye now");
    assert.ok(await t.client.close(71));
  } finally {
    server.close();
  }
});

test("peer reset: the log says 'closed or reset', never that every byte the peer sent arrived", async () => {
  // 1000 bytes, then a TCP reset (RST). The device holds the bytes (they arrived first) and learns of the end
  // after them; whether a close or a reset ended it, and whether bytes were lost on the way, it cannot tell.
  const size = 1000;
  const sockets = new Set();
  const server = net.createServer((raw) => {
    sockets.add(raw);
    raw.on("error", () => {});
    const secure = new tls.TLSSocket(raw, { isServer: true, cert: chain, key: S.certs.serverKey });
    secure.on("error", () => {});
    secure.on("secure", () => secure.write(S.pattern(size, 72), () => setTimeout(() => raw.resetAndDestroy(), 50)));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const at = t.mark();
    assert.ok(await t.client.open(72, `localhost:${server.address().port}`));
    await t.logged(at, /^tls\/72: localhost:\d+ closed or reset by peer$/);
    // a write while the bytes that came before the reset are still unread: [0], and the log says what is known
    assert.is(await t.client.write(72, "after the reset"), false);
    await t.logged(at, /^tipi: write 72: closed or reset by peer \(the board does not tell which\); 15 bytes not taken -> 0$/);
    const data = await readExactly(t.client, 72, size);
    assert.is(S.sha256(data), S.sha256(S.pattern(size, 72)), "the bytes that reached the device are all delivered");
    assert.equal(await t.client.read(72, 100), Buffer.alloc(0));
    await t.logged(at, /^tipi: handle 72 released: TLS_CLOSED: the peer closed or reset the connection/);
    const lines = t.since(at).filter((line) => /^(tipi: (write|handle) 72|tls\/72)/.test(line));
    for (const line of lines) {
      assert.not.match(line, /(?<!or reset )by peer;|all bytes|every byte/, `the log claims more than the board knows: ${line}`);
    }
    assert.ok(await t.client.close(72));
  } finally {
    for (const socket of sockets) socket.destroy();
    server.close();
  }
});

test("peer close: the device never aborted and logged no internal error", () => {
  t.healthy();
});

test.after(() => t.close());
test.run();
