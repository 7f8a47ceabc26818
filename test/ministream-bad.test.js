// Bad input on a tunnel's link: every case closes only the stream it names (with a logged reason), or drops the
// message when it names none, and the link stays in step: a good stream opened first still echoes at the end, and
// a new SYN is still served. First the device as the server (the Node peer sends bad client messages), then as the
// client (the Node peer answers its SYNs wrongly).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { linkServer, service, echo, startDevice, frame, toHex, hex, logged } from "./device/ministream/peer.js";

const KEY = "01 02 03 04 05 06 07 08";
const text = (s) => toHex(Buffer.from(s));

async function finish(run, cases = []) {
  const r = await run;
  assert.is(r.aborted, null, "the device aborted");
  assert.not.ok(r.timedOut, "the device did not finish");
  assert.ok(r.done, "no `done` line");
  for (const c of r.cases) assert.ok(c.ok, `${c.name}: ${c.why}`);
  assert.equal(r.cases.map((c) => c.name), cases, "the cases reported");
  return r;
}

// ---- the device as the server: one run, a scripted client, an echo service ----

// Started when this suite runs, not when the file is imported: uvu imports every test file before it runs any
// suite, and a device started at import would sit idle (its timeouts running) while other files' suites run.
let svc, link, device, peer, sim;
test.before(async () => {
  svc = await service({}, echo);
  link = await linkServer();
  // server ids the device hands out, in order
  device = await startDevice("ministream-peer-test", {
    port: link.port, role: "server", service: { kind: "tcp", port: svc.port },
    ids: [0x000a01, 0x000a02, 0x000a03, 0x000a04, 0x000a05, 0x000a06, 0x000a07],
  });
  peer = await link.accept();
  sim = device.sim;
});

async function expect(message, what) {
  const got = await peer.next(5000);
  assert.ok(got, `${what}: no frame from the device`);
  assert.is(toHex(got), toHex(frame(message)), what);
}

/** Opens a stream with client id `cid` (hex) and expects the ACK with server id `sid`. */
async function open(cid, sid) {
  peer.sendMessages(`a1 ${cid} ${KEY}`);
  await expect(`51 ${cid} ${sid}`, `ACK to ${cid}`);
}

/** Sends data on server id `sid` and expects it echoed on client id `cid`. */
async function echoes(cid, sid, words) {
  peer.sendMessages(`a0 ${sid} ${text(words)}`);
  await expect(`50 ${cid} ${text(words)}`, `echo of "${words}"`);
}

const seen = (words) => logged(sim, words).length > 0;

test("server: a good stream opens and echoes (the one that must survive everything below)", async () => {
  await open("0a 0a 0a", "00 0a 01");
  await echoes("0a 0a 0a", "00 0a 01", "ping");
});

test("server: a type in neither range is dropped and logged; no stream is closed", async () => {
  peer.sendMessages("77 00 0a 01 01 02 03");
  assert.ok(await peer.quiet(200), "no answer");
  assert.ok(seen("unknown type 77 (neither 0xA0-0xAF nor 0x50-0x5F)"), "logged");
});

test("server: an unknown type in the client range closes the stream its id names (S2C_CLOSE), logged", async () => {
  await open("0b 0b 0b", "00 0a 02");
  peer.sendMessages("a7 00 0a 02");
  await expect("52 0b 0b 0b", "Close of that stream");
  assert.ok(seen("unknown type a7"), "logged");
});

test("server: data for an unknown server id is dropped and logged (no Close: the client's id is unknown)", async () => {
  peer.sendMessages(`a0 00 be ef ${text("lost")}`);
  assert.ok(await peer.quiet(200), "no answer");
  assert.ok(seen("C2S_SEND_DATA for unknown id 00 be ef dropped (4 bytes)"), "logged");
});

test("server: a SYN reusing a live client id closes the old stream and refuses the new one with one Close", async () => {
  await open("0c 0c 0c", "00 0a 03");
  peer.sendMessages(`a1 0c 0c 0c ${KEY}`);
  await expect("52 0c 0c 0c", "one Close");
  assert.ok(await peer.quiet(200), "only one");
  assert.ok(seen("the client reused its live id 0c 0c 0c in a new SYN"), "logged");
  // the old stream is gone: its server id no longer takes data
  peer.sendMessages(`a0 00 0a 03 ${text("late")}`);
  assert.ok(await peer.quiet(200), "no echo from the old stream");
  assert.ok(seen("C2S_SEND_DATA for unknown id 00 0a 03 dropped"), "its id is unknown now");
});

test("server: the id 00 00 00 is refused in a SYN, data and a Close (no answer, logged)", async () => {
  peer.sendMessages(`a1 00 00 00 ${KEY}`, `a0 00 00 00 ${text("zero")}`, "a2 00 00 00");
  assert.ok(await peer.quiet(200), "no answer");
  assert.ok(seen("C2S_SYN with the reserved id 00 00 00"), "SYN logged");
  assert.ok(seen("C2S_SEND_DATA with the reserved id 00 00 00 dropped"), "data logged");
  assert.ok(seen("C2S_CLOSE with the reserved id 00 00 00"), "Close logged");
});

test("server: truncated frames (LENGTH 0, 1, 2, 3) are skipped by their length and logged; CHAFF is ignored", async () => {
  peer.send("00 00", "00 01 a1", "00 02 a1 12", "00 03 a0 00 0a", "00 01 ff");
  assert.ok(await peer.quiet(200), "no answer");
  assert.is(logged(sim, "bad frame skipped").length, 4, "four bad frames logged");
  assert.ok(seen("truncated message: LENGTH 2"), "the reason");
});

test("server: a WINDOW with a 3-byte payload closes its stream", async () => {
  await open("0d 0d 0d", "00 0a 04");
  peer.sendMessages("a3 00 0a 04 00 10 00");
  await expect("52 0d 0d 0d", "Close");
  assert.ok(seen("C2S_WINDOW with a 3-byte payload"), "logged");
});

test("server: a SYN without a key is refused with a Close", async () => {
  peer.sendMessages("a1 0e 0e 0e");
  await expect("52 0e 0e 0e", "Close");
  assert.ok(seen("C2S_SYN without a public key"), "logged");
});

test("server: data past the window (2049 bytes on a fresh stream) closes that stream; its payload is skipped", async () => {
  await open("0f 0f 0f", "00 0a 05");
  peer.sendMessages(Buffer.concat([hex("a0 00 0a 05"), Buffer.alloc(2049, 0x55)]));
  await expect("52 0f 0f 0f", "Close");
  assert.ok(seen("2049 data bytes with only 2048 granted (the peer ignored the window)"), "logged");
});

test("server: a Close with a payload still closes its stream (logged), with no answer", async () => {
  await open("10 10 10", "00 0a 06");
  peer.sendMessages("a2 00 0a 06 00");
  assert.ok(await peer.quiet(200), "no answer to a Close");
  assert.ok(seen("C2S_CLOSE with a 1-byte payload"), "logged");
});

test("server: after all that the first stream still echoes and a new SYN is served", async () => {
  await echoes("0a 0a 0a", "00 0a 01", "still fine");
  await open("11 11 11", "00 0a 07");
  await echoes("11 11 11", "00 0a 07", "new");
  assert.is(peer.leftover, 0, "every byte the device sent was a whole frame");
});

test("server: the device ran to the end without an abort", async () => {
  peer.end();
  await finish(device.finished);
  await link.close();
  await svc.close();
});

// ---- the device as the client ----

test("client: bad ACKs, data before the ACK, a second ACK, data past the window fail only their streams", async () => {
  const link = await linkServer();
  try {
    const { finished } = await startDevice("ministream-peer-test", {
      port: link.port, role: "client", scenario: "bad", key: KEY,
      ids: [0x000101, 0x000102, 0x000103, 0x000104, 0x000105, 0x000106],
    });
    const peer = await link.accept();
    for (let i = 1; i <= 6; i++) {
      const got = await peer.next(5000);
      assert.is(toHex(got), toHex(frame(`a1 00 01 0${i} ${KEY}`)), `SYN ${i}`);
    }
    peer.sendMessages(
      "51 00 01 01 00 02", // ACK with a 2-byte payload
      "51 00 01 02 00 00 00", // ACK with server id 00 00 00
      `50 00 01 03 ${text("early")}`, // data before the ACK
      "51 00 01 04 00 02 04", "51 00 01 04 00 03 04", // a second ACK
      "51 00 01 05 00 02 05", Buffer.concat([hex("50 00 01 05"), Buffer.alloc(2049, 1)]), // past the window
      "51 00 09 ff 00 09 99", // ACK for a client id the device never used
      `50 00 09 fe ${text("nobody")}`, // data for an unknown client id
      "51 00 01 06 00 02 06", `50 00 01 06 ${text("still fine")}`, "52 00 01 06", // the good one
    );
    const rest = await peer.rest(5000);
    assert.equal(rest.sort(), ["a2 00 02 04", "a2 00 02 05", "a2 00 03 04", "a2 00 09 99"],
      "Closes for the second ACK (both server ids), the overrun stream, and the unknown ACK's server id; nothing else");
    const r = await finish(finished, [
      "client-ack-with-a-2-byte-payload-fails-that-stream",
      "client-ack-with-server-id-000000-fails-that-stream",
      "client-data-before-the-ack-fails-that-stream",
      "client-second-ack-fails-that-stream",
      "client-data-past-the-window-fails-that-stream",
      "client-good-stream-untouched-by-the-bad-ones",
      "client-every-slot-free-again",
    ]);
    assert.ok(r.traces.some((l) => l.includes("S2C_SEND_DATA for unknown id 00 09 fe dropped")), "unknown data logged");
    assert.ok(r.traces.some((l) => l.includes("S2C_ACK for unknown id 00 09 ff: closing server id 00 09 99")), "unknown ACK logged");
  } finally {
    await link.close();
  }
});

test.run();
