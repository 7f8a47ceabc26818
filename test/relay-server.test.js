// The relay server (tools/relay) on the wire, with Node clients on the device's own protocol code: the connection
// table as c-toxcore's TCP server keeps it and tox-bootstrapd 0.2.18 shows it (../shared/peers.md), the pings, the
// refusals, bounded memory, 10,000 random packets, and `npm run relay` with its key file.
import { test } from "uvu";
import * as assert from "uvu/assert";
import net from "node:net";
import { spawn } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { NodeRelayClient } from "../tools/relay/client.js";
import { loadOrCreateKey } from "../tools/relay/main.js";
import { crypto } from "../tools/relay/shared.js";
import { startRelay, newSecret, hex } from "./device/relay/support.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const join = (relay, options = {}) => NodeRelayClient.connect({ port: relay.port, relayKey: relay.publicKey, ...options });

async function withRelay(options, body) {
  const relay = await startRelay(options);
  const clients = [];
  try {
    await body(relay, async (o) => { const c = await join(relay, o); clients.push(c); return c; });
  } finally {
    for (const c of clients) c.end();
    await relay.close();
  }
}

/** Both clients ask for each other; resolves [id at a, id at b] once both connect notifications came. */
async function link(a, b) {
  const ca = a.next("connect"), cb = b.next("connect");
  const ida = await a.route(b.publicKey);
  const idb = await b.route(a.publicKey);
  const [[na], [nb]] = await Promise.all([ca, cb]);
  assert.is(na, ida);
  assert.is(nb, idb);
  return [ida, idb];
}

/** Resolves true when `client` is closed by the relay within ms. */
async function droppedWithin(client, ms) {
  const timer = sleep(ms).then(() => false);
  return Promise.race([client.closedPromise().then(() => true), timer]);
}

test("route: your own key answers id 0; an offline key gets an id (16, first free); asking again gives the same id", async () => {
  await withRelay({}, async (relay, join) => {
    const a = await join();
    assert.is(await a.route(a.publicKey), 0);
    const offline = crypto.publicKeyOf(newSecret());
    assert.is(await a.route(offline), 16);
    assert.is(await a.route(crypto.publicKeyOf(newSecret())), 17);
    assert.is(await a.route(offline), 16);
    assert.ok(relay.log.some((l) => /refused: its own key/.test(l)));
  });
});

test("connect notifications need routing requests from both sides; ids are rewritten when forwarding", async () => {
  await withRelay({}, async (relay, join) => {
    const a = await join(), b = await join();
    await a.route(crypto.publicKeyOf(newSecret())); // a's id 16 taken: a and b get different ids for each other
    const notified = [];
    a.on("connect", (id) => notified.push(`a${id}`));
    b.on("connect", (id) => notified.push(`b${id}`));
    const ida = await a.route(b.publicKey);
    await sleep(100);
    assert.equal(notified, [], "the first asker got a notification before the peer asked");
    const idb = await b.route(a.publicKey);
    await sleep(100);
    assert.equal(notified.sort(), [`a${ida}`, `b${idb}`].sort());
    assert.is(ida, 17);
    assert.is(idb, 16);
    // asking again for a linked key: the same id, no new notification
    assert.is(await a.route(b.publicKey), ida);
    await sleep(50);
    assert.is(notified.length, 2);
    // data: a sends on 17, b receives on 16
    const got = b.next("data");
    a.send(ida, Uint8Array.of(1, 2, 3));
    const [id, data] = await got;
    assert.is(id, idb);
    assert.equal([...data], [1, 2, 3]);
  });
});

test("240 link slots per connection (ids 16-255), then refusal with id 0", async () => {
  await withRelay({}, async (relay, join) => {
    const a = await join();
    const ids = [];
    for (let i = 0; i < 240; i++) ids.push(await a.route(crypto.publicKeyOf(newSecret())));
    assert.equal(ids, Array.from({ length: 240 }, (_, i) => 16 + i));
    assert.is(await a.route(crypto.publicKeyOf(newSecret())), 0);
    assert.ok(relay.log.some((l) => /refused: all 240 slots in use/.test(l)));
    // a freed slot is given again
    a.disconnect(100);
    assert.is(await a.route(crypto.publicKeyOf(newSecret())), 100);
  });
});

test("disconnect notification reaches the peer, whose slot goes back to waiting; the peer asking again relinks", async () => {
  await withRelay({}, async (relay, join) => {
    const a = await join(), b = await join();
    const [ida, idb] = await link(a, b);
    const gone = b.next("disconnect");
    a.disconnect(ida);
    assert.equal(await gone, [idb]);
    // b's slot is waiting: data on it is ignored (b stays connected)
    b.send(idb, Uint8Array.of(9));
    await sleep(50);
    assert.not.ok(b.closed);
    // a asks again: its new slot finds b's waiting slot, both are notified
    const cb = b.next("connect");
    const again = await a.route(b.publicKey);
    assert.equal(await cb, [idb]);
    assert.is(again, ida);
  });
});

test("a client that closes its socket: its peers get disconnect notifications at once", async () => {
  await withRelay({}, async (relay, join) => {
    const a = await join(), b = await join();
    const [, idb] = await link(a, b);
    const gone = b.next("disconnect");
    a.end();
    assert.equal(await gone, [idb]);
  });
});

test("ping timeout drops a silent peer (its linked peer is told); a peer that answers stays", async () => {
  await withRelay({ pingInterval: 200, pingTimeout: 200 }, async (relay, join) => {
    const a = await join(), silent = await join();
    const [, idAtA] = await link(silent, a).then(([s, x]) => [s, x]);
    silent.silent = true;
    const gone = a.next("disconnect", () => true, 3000);
    assert.ok(await droppedWithin(silent, 1500), "the silent client was not dropped");
    assert.equal(await gone, [idAtA]);
    assert.ok(relay.log.some((l) => /dropped: no pong within 200 ms/.test(l)));
    await sleep(600);
    assert.not.ok(a.closed, "a client that answers pings was dropped");
    assert.is(relay.server.connections, 1);
  });
});

test("a handshake made for another relay key is closed without a reply", async () => {
  await withRelay({}, async (relay) => {
    const secretKey = newSecret();
    const hs = new crypto.ClientHandshake(crypto.publicKeyOf(secretKey), secretKey, crypto.publicKeyOf(newSecret()), (b) => randomFillSync(b));
    const socket = net.connect(relay.port, "127.0.0.1");
    let received = 0;
    socket.on("data", (d) => { received += d.length; });
    socket.on("error", () => {});
    await new Promise((r) => socket.on("connect", r));
    socket.write(hs.hello);
    await new Promise((r) => socket.on("close", r));
    assert.is(received, 0);
    assert.ok(relay.log.some((l) => /handshake refused/.test(l)));
    assert.is(relay.server.stats.handshakesRefused, 1);
    // and the NodeRelayClient with a wrong key fails the same way
    try {
      await NodeRelayClient.connect({ port: relay.port, relayKey: crypto.publicKeyOf(newSecret()), timeout: 2000 });
      assert.unreachable("connected with a wrong relay key");
    } catch (error) {
      assert.match(error.message, /closed without a handshake reply/);
    }
  });
});

test("handshake and frames split into single bytes and merged work; a client counts only after its first frame", async () => {
  await withRelay({}, async (relay, join) => {
    const a = await join();
    const b = await join({ confirm: false });
    await sleep(50);
    assert.is(relay.server.connections, 1, "b counted before its first frame");
    assert.is(await a.route(b.publicKey), 16);
    // b's first frame (a routing request) confirms it; every byte written separately
    const frame = Buffer.from(b.session.sealFrame(Uint8Array.of(0, ...a.publicKey)));
    const ca = a.next("connect");
    for (const byte of frame) { b.writeRaw(Buffer.of(byte)); await sleep(1); }
    await ca;
    assert.is(relay.server.connections, 2);
  });
});

test("a second connection with the same key replaces the first once it sends its first frame", async () => {
  await withRelay({}, async (relay, join) => {
    const secretKey = newSecret();
    const first = await join({ secretKey });
    const second = await join({ secretKey });
    assert.ok(await droppedWithin(first, 1000));
    assert.not.ok(second.closed);
    assert.ok(relay.log.some((l) => /replaced by/.test(l)));
  });
});

test("OOB: delivered as [7][sender key][data]; to an offline key ignored; over 1024 bytes drops the sender", async () => {
  await withRelay({}, async (relay, join) => {
    const a = await join(), b = await join();
    const got = b.next("oob");
    a.oob(b.publicKey, Uint8Array.of(5, 6, 7));
    const [from, data] = await got;
    assert.is(hex(from), hex(a.publicKey));
    assert.equal([...data], [5, 6, 7]);
    a.oob(crypto.publicKeyOf(newSecret()), Uint8Array.of(1));
    a.oob(b.publicKey, new Uint8Array(1024));
    await b.next("oob", (k, d) => d.length === 1024);
    a.sendPacket(Uint8Array.of(6, ...b.publicKey, ...new Uint8Array(1025)));
    assert.ok(await droppedWithin(a, 1000));
  });
});

test("largest frame: 2031 data bytes forwarded; a length prefix of 2049 drops the connection", async () => {
  await withRelay({}, async (relay, join) => {
    const a = await join(), b = await join();
    const [ida] = await link(a, b);
    const big = new Uint8Array(2031).fill(0xab);
    const got = b.next("data");
    a.send(ida, big);
    assert.is((await got)[1].length, 2031);
    a.writeRaw(Buffer.of(0x08, 0x01));
    assert.ok(await droppedWithin(a, 1000));
  });
});

// What tox-bootstrapd drops a client for (peers.md), one case each, and what it ignores.
const DROPS = {
  "packet id 1": () => Uint8Array.of(1, 16, ...new Uint8Array(32)),
  "packet id 7": () => Uint8Array.of(7, ...new Uint8Array(40)),
  "packet id 9": () => Uint8Array.of(9, 1, 2, 3),
  "packet id 11": () => Uint8Array.of(11, 1, 2, 3),
  "packet id 12": () => Uint8Array.of(12, 1),
  "packet id 15": () => Uint8Array.of(15, 1),
  "forward request (10)": () => Uint8Array.of(10, 1, 2, 3),
  "routing request of 32 bytes": () => Uint8Array.of(0, ...new Uint8Array(31)),
  "ping of 8 bytes": () => Uint8Array.of(4, 1, 2, 3, 4, 5, 6, 7),
  "pong of 10 bytes": () => Uint8Array.of(5, 1, 2, 3, 4, 5, 6, 7, 8, 9),
  "connect notification of 3 bytes": () => Uint8Array.of(2, 16, 0),
  "disconnect of 1 byte": () => Uint8Array.of(3),
  "pong with id 0": () => Uint8Array.of(5, 0, 0, 0, 0, 0, 0, 0, 0),
  "data on an unused id": () => Uint8Array.of(200, 1, 2),
  "disconnect for an unused slot": () => Uint8Array.of(3, 40),
  "disconnect for id 5": () => Uint8Array.of(3, 5),
};
for (const [name, packet] of Object.entries(DROPS)) {
  test(`dropped for: ${name}`, async () => {
    await withRelay({}, async (relay, join) => {
      const a = await join(), witness = await join();
      a.sendPacket(packet());
      assert.ok(await droppedWithin(a, 1000), "not dropped");
      await witness.ping();
    });
  });
}

test("ignored: data on a slot still waiting, a connect notification, a ping with id 0 (answered), an onion request (logged)", async () => {
  await withRelay({}, async (relay, join) => {
    const a = await join();
    const id = await a.route(crypto.publicKeyOf(newSecret()));
    a.sendPacket(Uint8Array.of(id, 1, 2, 3));
    a.sendPacket(Uint8Array.of(2, id));
    const pong = a.next("packet", (p) => p[0] === 5);
    a.sendPacket(Uint8Array.of(4, 0, 0, 0, 0, 0, 0, 0, 0));
    assert.equal([...(await pong)[0]], [5, 0, 0, 0, 0, 0, 0, 0, 0]);
    a.sendPacket(Uint8Array.of(8, ...new Uint8Array(100)));
    await a.ping();
    assert.not.ok(a.closed);
    assert.ok(relay.log.some((l) => /onion request ignored/.test(l)));
  });
});

test("bounded memory: a receiver that does not read pauses its sender; every byte arrives in order once it reads", async () => {
  await withRelay({ maxQueue: 64 * 1024 }, async (relay, join) => {
    const a = await join(), b = await join();
    const [ida] = await link(a, b);
    b.socket.pause();
    const total = 8 * 1024 * 1024;
    const data = new Uint8Array(total);
    randomFillSync(data);
    a.send(ida, data);
    await sleep(1500);
    const queued = relay.server.queued(hex(b.publicKey));
    // the relay holds at most maxQueue and one frame for b; the rest waits in the kernel's buffers and in a's
    assert.ok(queued >= 0 && queued <= 64 * 1024 + 2050, `${queued} bytes queued at the relay for b`);
    assert.ok(relay.server.stats.forwardedBytes < total, "everything was forwarded to a receiver that does not read");
    const hash = createHash("sha256");
    let got = 0;
    const done = new Promise((resolve) => b.on("data", (id, d) => { hash.update(d); got += d.length; if (got === total) resolve(); }));
    b.socket.resume();
    await done;
    assert.is(hash.digest("hex"), createHash("sha256").update(data).digest("hex"));
  });
});

test("10,000 random packets (and garbage frames and handshakes) leave it serving the others", async () => {
  await withRelay({ pingInterval: 0 }, async (relay, join) => {
    const a = await join(), b = await join();
    const [ida, idb] = await link(a, b);
    let seed = 12345;
    const rand = (n) => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
    let sent = 0, reconnects = 0;
    let fuzz = await join();
    await fuzz.route(a.publicKey);
    const known = [a.publicKey, b.publicKey];
    const tick = () => new Promise((r) => setImmediate(r));
    const before = relay.server.stats.packets;
    // 10,000 packets the relay read (what goes to a socket it already dropped does not count)
    while (relay.server.stats.packets - before < 10000) {
      if (fuzz.closed) { fuzz = await join(); reconnects++; await fuzz.route(known[rand(2)]); }
      const kind = rand(100);
      if (kind === 0) {
        // a garbage frame on the wire: the relay drops the connection
        const junk = new Uint8Array(1 + rand(64));
        randomFillSync(junk);
        fuzz.writeRaw(junk);
      } else if (kind === 1) {
        // a raw connection sending a random "handshake"
        const s = net.connect(relay.port, "127.0.0.1");
        s.on("error", () => {});
        const junk = new Uint8Array(128);
        randomFillSync(junk);
        s.end(junk);
      } else if (kind < 6) {
        // any id 0-20 or a data id, at the lengths around each format's boundaries (mostly fatal)
        const type = rand(4) === 0 ? 16 + rand(240) : rand(21);
        const lengths = [1, 2, 3, 8, 9, 10, 32, 33, 34, 1057, 1058, rand(2032) + 1];
        const p = new Uint8Array(lengths[rand(lengths.length)]);
        randomFillSync(p);
        p[0] = type;
        fuzz.sendPacket(p);
      } else {
        // well formed, random contents: routing requests (random or known keys), pings and pongs with random ids,
        // connect notifications, OOB to random or known keys, data on the fuzzer's own slots, onion requests
        const form = rand(8);
        const key = rand(4) === 0 ? known[rand(2)] : crypto.publicKeyOf(newSecret());
        const bytes = (n) => { const b = new Uint8Array(n); randomFillSync(b); return b; };
        if (form === 0) fuzz.sendPacket(Uint8Array.of(0, ...key));
        else if (form === 1) fuzz.sendPacket(Uint8Array.of(4, ...bytes(8)));
        else if (form === 2) fuzz.sendPacket(Uint8Array.of(5, 1 + rand(255), ...bytes(7)));
        else if (form === 3) fuzz.sendPacket(Uint8Array.of(2, rand(256)));
        else if (form === 4) fuzz.sendPacket(Uint8Array.of(6, ...key, ...bytes(1 + rand(1024))));
        else if (form === 5) fuzz.sendPacket(Uint8Array.of(8, ...bytes(rand(300))));
        else fuzz.sendPacket(Uint8Array.of(16, ...bytes(rand(2031)))); // id 16: routed below, or dropped when unused
      }
      sent++;
      await tick();
      await tick();
    }
    fuzz.end();
    // the two good clients still talk, both ways, and a newcomer is served
    const payload = new Uint8Array(5000);
    randomFillSync(payload);
    const got = [];
    const all = new Promise((resolve) => b.on("data", (id, d) => { if (id === idb) { got.push(...d); if (got.length === 5000) resolve(); } }));
    a.send(ida, payload);
    await all;
    assert.equal(got, [...payload]);
    const back = a.next("data");
    b.send(idb, Uint8Array.of(42));
    assert.equal([...(await back)[1]], [42]);
    const c = await join();
    assert.is(await c.route(c.publicKey), 0);
    await sleep(100);
    assert.is(relay.server.connections, 3, "connections leaked or lost");
    console.log(`  (${relay.server.stats.packets - before} packets read of ${sent} sent: ${reconnects} reconnects, ${relay.server.stats.dropped} connections dropped)`);
  });
});

test("the key file: made on first start (64 bytes, public then secret, mode 0600), read back the same after", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "relay-key-"));
  try {
    const file = path.join(dir, "relay.keys");
    const lines = [];
    const made = loadOrCreateKey(file, (l) => lines.push(l));
    assert.is(statSync(file).mode & 0o777, 0o600);
    const bytes = readFileSync(file);
    assert.is(bytes.length, 64);
    assert.is(hex(bytes.subarray(0, 32)), hex(made.publicKey));
    const again = loadOrCreateKey(file, (l) => lines.push(l));
    assert.is(hex(again.secretKey), hex(made.secretKey));
    assert.match(lines.join("\n"), /new key pair saved/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run relay: --port, --key-file; logs one line per event; a client connects; SIGTERM stops it", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "relay-cli-"));
  const child = spawn(process.execPath, ["tools/relay/main.js", "--port", "0", "--host", "127.0.0.1", "--key-file", path.join(dir, "k")], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    let out = "";
    child.stdout.on("data", (d) => { out += d; });
    const started = Date.now();
    while (!/listening on 127\.0\.0\.1:(\d+), public key ([0-9a-f]{64})/.test(out) && Date.now() - started < 10000) await sleep(20);
    const m = /listening on 127\.0\.0\.1:(\d+), public key ([0-9a-f]{64})/.exec(out);
    assert.ok(m, out);
    const c = await NodeRelayClient.connect({ port: Number(m[1]), relayKey: m[2] });
    await sleep(50);
    c.end();
    await sleep(50);
    child.kill("SIGTERM");
    const code = await new Promise((r) => child.on("exit", r));
    assert.is(code, 0);
    assert.match(out, /new key pair saved/);
    assert.match(out, /confirmed \(1 connected\)/);
    for (const line of out.trim().split("\n")) assert.match(line, /^\d{4}-\d\d-\d\dT[\d:.]+Z relay: /);
    assert.is(statSync(path.join(dir, "k")).mode & 0o777, 0o600);
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
