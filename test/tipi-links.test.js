// The link coming and going (tipi/tcp-link): handles outlive a link; a second connection takes the link over only
// with a TIPI request for its first bytes, and anything else (a stray client, the device's own TLS client when a
// handle opens the device's own link port) is closed without disturbing the host attached.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tipiDevice, readExactly, echoes, rawSocket, hex, readFrame, sleep } from "./support/tipi.js";
import { TipiClient } from "../client/tipi-client.js";

const t = await tipiDevice();

test("links: handles outlive the link; a second host takes it over with its first request", async () => {
  assert.ok(await t.client.open(60, t.ECHO));
  assert.ok(await t.client.write(60, "sent on link 1"));
  const at = t.mark();
  const first = t.client;
  t.client = await TipiClient.connect(t.device.link); // waits: it takes over with its first request
  assert.is((await readExactly(t.client, 60, 14)).toString(), "sent on link 1");
  await t.logged(at, /^tipi: link taken over by 127\.0\.0\.1:\d+ \(its first bytes are a TIPI request\)$/);
  await t.logged(at, /^tipi: link replaced by a newer one:/);
  let error;
  await first.read(60, 1).catch((e) => { error = e; });
  assert.match(String(error?.message), /link closed/, "the old link is gone");
  assert.ok(await t.client.close(60));
});

test("links: a second connection that has not spoken yet leaves the host attached undisturbed", async () => {
  assert.ok(await t.client.open(61, t.ECHO));
  const at = t.mark();
  const second = await rawSocket(t.device.port);
  try {
    await t.logged(at, /^tipi: second connection from 127\.0\.0\.1:\d+: it takes the link over once it sends a TIPI request$/);
    await echoes(t.client, 61, "the host attached is still the link"); // it was replaced here, before
    second.send(readFrame(61, 100)); // a request: now it takes over
    assert.equal(await second.take(2), hex("00 00"), "the second host's read is answered");
    let error;
    await t.client.read(61, 1).catch((e) => { error = e; });
    assert.match(String(error?.message), /link closed/, "the first host was replaced");
  } finally {
    second.destroy();
    await t.reconnect();
  }
  assert.ok(await t.client.close(61));
});

test("links: a second connection that speaks no TIPI is closed; the host attached never notices", async () => {
  assert.ok(await t.client.open(62, t.ECHO));
  const at = t.mark();
  const stray = await rawSocket(t.device.port);
  stray.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await stray.closed();
  await t.logged(at, /^tipi: second connection from 127\.0\.0\.1:\d+ closed: its first bytes 47 45 54 20 2f are no TIPI request \(frame longer than maxFrame\); the link stays with the host attached$/);
  await echoes(t.client, 62, "still the link");
  assert.not.ok(t.since(at).some((line) => /^tipi: link (replaced|lost)/.test(line)), t.since(at).join("\n"));
  assert.ok(await t.client.close(62));
});

test("links: an open of the device's own link port fails with [0] and the host stays attached", async () => {
  assert.ok(await t.client.open(63, t.ECHO));
  const at = t.mark();
  // The device's TLS client connects to the device's own listener: its ClientHello is no TIPI request.
  assert.is(await t.client.open(64, `localhost:${t.device.port}`), false);
  await t.logged(at, /^tipi: second connection from 127\.0\.0\.1:\d+ closed: its first bytes 16 03 0[13] [0-9a-f]{2} [0-9a-f]{2} are no TIPI request \(.+\) \(a TLS ClientHello: did a handle open the device's own link port\?\); the link stays with the host attached$/);
  await t.logged(at, /^tipi: open 64 localhost:\d+ -> failed TLS_CONNECT_FAILED: /);
  await echoes(t.client, 63, "the same link, still in step");
  assert.not.ok(t.since(at).some((line) => /^tipi: link (replaced|lost)|bad request|frame of \d+ bytes/.test(line)), t.since(at).join("\n"));
  assert.ok(await t.client.close(63));
});

test("links: when the host goes away, the connection waiting becomes the link as it is", async () => {
  const waiting = await rawSocket(t.device.port);
  try {
    const at = t.mark();
    await t.logged(at, /^tipi: second connection from .*: it takes the link over once it sends a TIPI request$/);
    t.client.end();
    await t.logged(at, /^tipi: link lost: /);
    await t.logged(at, /^tipi: link up$/);
    waiting.send(hex("00 00")); // not a request it could have taken over with: it is the link already
    assert.equal(await waiting.take(3), hex("00 01 00"), "a bad request is answered [0] on the link");
  } finally {
    waiting.destroy();
    t.client = await TipiClient.connect(t.device.link);
  }
});

test("links: a frame cut short by the link closing is dropped; the next link starts clean", async () => {
  assert.ok(await t.client.open(93, t.ECHO));
  const at = t.mark();
  await t.withRawLink(async (raw) => {
    raw.send(hex("00 40 24 5d 03 41 41")); // announces 64 bytes, sends 5: it takes the link over, then goes
    await t.logged(at, /^tipi: link taken over by /);
    raw.close();
    await t.logged(at, /^tipi: link lost: 7 unread request bytes/);
  });
  await sleep(10);
  await echoes(t.client, 93, "clean start");
  assert.ok(await t.client.close(93));
});

test("links: the device never aborted and logged no internal error", () => {
  t.healthy();
});

test.after(() => t.close());
test.run();
