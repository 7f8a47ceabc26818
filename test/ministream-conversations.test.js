// The seed's sample conversations a, b and c (../shared/seeds/i2p-ministreaming.txt), byte for byte, with the
// device at either end: as the server (a tunnel whose service is a real TCP server on 127.0.0.1, or no server at
// all) and as the client (opening streams through the TLS client's non-blocking shape). The Node side plays the
// other end of the link and checks every frame the device sends: the seed's message behind its 2-byte LENGTH.
// The seed's conversation c prints `51 11 11 11` for the server's close; it is the Close type 52.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { linkServer, closedPort, service, startDevice, frame, toHex, hex, logged } from "./device/ministream/peer.js";

const KEY = "01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20";
const DATA = toHex(Buffer.from("hello from the service\n"));
const REQUEST = toHex(Buffer.from("GET / HTTP/1.0\r\n\r\n"));
const PART1 = toHex(Buffer.from("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"));
const PART2 = toHex(Buffer.from("the answer, in a second write\n"));

/** The next frame is exactly `message`, framed. */
async function expectFrame(peer, message, what) {
  const got = await peer.next(5000);
  assert.ok(got, `${what}: no frame from the device`);
  assert.is(toHex(got), toHex(frame(message)), what);
}

async function finish(run, cases = []) {
  const r = await run;
  assert.is(r.aborted, null, "the device aborted");
  assert.not.ok(r.timedOut, "the device did not finish");
  assert.ok(r.done, "no `done` line");
  for (const c of r.cases) assert.ok(c.ok, `${c.name}: ${c.why}`);
  assert.equal(r.cases.map((c) => c.name), cases, "the cases reported");
  return r;
}

// ---- the device as the server ----

async function asServer(svc, ids, body) {
  const link = await linkServer();
  try {
    const { sim, finished } = await startDevice("ministream-peer-test", { port: link.port, role: "server", service: svc, ids });
    const peer = await link.accept();
    await body(peer, sim);
    assert.ok(await peer.quiet(300), "no more frames from the device");
    peer.end();
    await finish(finished);
    return sim;
  } finally {
    await link.close();
  }
}

test("server a) service not available: C->S A1 12 34 56 key  S->C 52 12 34 56", async () => {
  const port = await closedPort();
  const sim = await asServer({ kind: "tcp", port }, [0x987654], async (peer) => {
    peer.sendMessages(`a1 12 34 56 ${KEY}`);
    await expectFrame(peer, "52 12 34 56", "Close");
    assert.equal(peer.received, ["52 12 34 56"]);
  });
  assert.ok(logged(sim, "SYN 12 34 56 refused: the service is not there").length === 1, "the refusal is logged with its reason");
});

test("server b) service sends data, client closes: 51 23 45 67 98 76 54 / 50 23 45 67 data / A2 98 76 54", async () => {
  const svc = await service({}, (socket) => socket.write(hex(DATA)));
  try {
    await asServer({ kind: "tcp", port: svc.port }, [0x987654], async (peer) => {
      peer.sendMessages(`a1 23 45 67 ${KEY}`);
      await expectFrame(peer, "51 23 45 67 98 76 54", "ACK, server id 98 76 54");
      await expectFrame(peer, `50 23 45 67 ${DATA}`, "Send data");
      peer.sendMessages("a2 98 76 54");
      // the client's Close closes the service connection
      for (let i = 0; i < 100 && svc.received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(svc.received.map((r) => r.bytes), [0], "the service connection ended, nothing sent to it");
      assert.equal(peer.received, ["51 23 45 67 98 76 54", `50 23 45 67 ${DATA}`]);
    });
  } finally {
    await svc.close();
  }
});

test("server c) client sends first, server answers twice and closes: 51 .. ff ff ff / 50 / 50 / 52 11 11 11", async () => {
  let second;
  const secondWrite = new Promise((r) => { second = r; });
  const svc = await service({}, (socket) => {
    let got = Buffer.alloc(0);
    socket.on("data", async (d) => {
      got = Buffer.concat([got, d]);
      if (got.length < hex(REQUEST).length) return;
      socket.write(hex(PART1));
      await secondWrite; // the second answer goes only once the first has reached the client
      socket.end(hex(PART2));
    });
  });
  try {
    await asServer({ kind: "tcp", port: svc.port }, [0xffffff], async (peer) => {
      peer.sendMessages(`a1 11 11 11 ${KEY}`);
      await expectFrame(peer, "51 11 11 11 ff ff ff", "ACK, server id ff ff ff");
      peer.sendMessages(`a0 ff ff ff ${REQUEST}`);
      await expectFrame(peer, `50 11 11 11 ${PART1}`, "answer with data");
      second();
      await expectFrame(peer, `50 11 11 11 ${PART2}`, "more data");
      await expectFrame(peer, "52 11 11 11", "Close (the seed's 51 is a typo)");
      assert.equal(peer.received, ["51 11 11 11 ff ff ff", `50 11 11 11 ${PART1}`, `50 11 11 11 ${PART2}`, "52 11 11 11"]);
    });
    assert.is(svc.received.length, 1);
    assert.is(svc.received[0].bytes, hex(REQUEST).length, "the service got the request, byte for byte");
  } finally {
    await svc.close();
  }
});

// ---- the device as the client ----

async function asClient(scenario, ids, extra, cases, body) {
  const link = await linkServer();
  try {
    const { finished } = await startDevice("ministream-peer-test", { port: link.port, role: "client", scenario, ids, key: KEY, ...extra });
    const peer = await link.accept();
    await body(peer);
    assert.equal(await peer.rest(5000), [], "nothing more before the device closes its link");
    await finish(finished, cases);
  } finally {
    await link.close();
  }
}

test("client a) the device's SYN is answered with Close: the stream fails MS_REFUSED", () =>
  asClient("a", [0x123456], {}, ["client-a-refused-with-ms-refused"], async (peer) => {
    await expectFrame(peer, `a1 12 34 56 ${KEY}`, "SYN, client id 12 34 56");
    peer.sendMessages("52 12 34 56");
  }));

test("client b) the device reads the server's data and closes with A2 98 76 54", () =>
  asClient("b", [0x234567], { data: DATA }, ["client-b-reads-the-servers-data-then-closes"], async (peer) => {
    await expectFrame(peer, `a1 23 45 67 ${KEY}`, "SYN");
    peer.sendMessages("51 23 45 67 98 76 54", `50 23 45 67 ${DATA}`);
    await expectFrame(peer, "a2 98 76 54", "Close");
  }));

test("client c) the device sends first (written before the ACK), reads both answers, then MS_CLOSED", () =>
  asClient("c", [0x111111], { request: REQUEST, answer: PART1 + " " + PART2 }, ["client-c-sends-first-reads-the-answer-until-the-servers-close"], async (peer) => {
    await expectFrame(peer, `a1 11 11 11 ${KEY}`, "SYN");
    peer.sendMessages("51 11 11 11 ff ff ff");
    await expectFrame(peer, `a0 ff ff ff ${REQUEST}`, "send data");
    peer.sendMessages(`50 11 11 11 ${PART1}`, `50 11 11 11 ${PART2}`, "52 11 11 11");
  }));

// ---- the same bytes over a link in the TLS client's shape (ConnectionLink: how a relay link carries a tunnel) ----

test("server b) over a ConnectionLink: the same bytes", async () => {
  const svc = await service({}, (socket) => socket.write(hex(DATA)));
  const link = await linkServer();
  try {
    const { finished } = await startDevice("ministream-peer-test", {
      port: link.port, role: "server", service: { kind: "tcp", port: svc.port }, ids: [0x987654], linkKind: "connection",
    });
    const peer = await link.accept();
    peer.sendMessages(`a1 23 45 67 ${KEY}`);
    await expectFrame(peer, "51 23 45 67 98 76 54", "ACK");
    await expectFrame(peer, `50 23 45 67 ${DATA}`, "Send data");
    peer.sendMessages("a2 98 76 54");
    assert.ok(await peer.quiet(300), "nothing more");
    peer.end();
    const r = await finish(finished);
    assert.ok(r.traces.some((l) => l.includes("link lost: closed by the peer") || l.includes("link lost: TCP_CLOSED")), "the link ended with the connection");
  } finally {
    await link.close();
    await svc.close();
  }
});

test("client c) over a ConnectionLink: the same bytes", () =>
  asClient("c", [0x111111], { request: REQUEST, answer: PART1 + " " + PART2, linkKind: "connection" }, ["client-c-sends-first-reads-the-answer-until-the-servers-close"], async (peer) => {
    await expectFrame(peer, `a1 11 11 11 ${KEY}`, "SYN");
    peer.sendMessages("51 11 11 11 ff ff ff");
    await expectFrame(peer, `a0 ff ff ff ${REQUEST}`, "send data");
    peer.sendMessages(`50 11 11 11 ${PART1}`, `50 11 11 11 ${PART2}`, "52 11 11 11");
  }));

test.run();
