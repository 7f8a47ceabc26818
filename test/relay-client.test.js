// The device client (modules/relay) in XS against the relay server (tools/relay) on 127.0.0.1: two device clients
// route to each other and exchange data (SHA-256 checked on both sides), routing to yourself answers 0, maxLinks,
// disconnect notifications, a wrong relay key, pings both ways (a silent peer dropped by the relay, a silent relay
// failing the device with RELAY_TIMEOUT).
import { test } from "uvu";
import * as assert from "uvu/assert";
import net from "node:net";
import { randomFillSync } from "node:crypto";
import { NodeRelayClient } from "../tools/relay/client.js";
import { crypto, constants as C, packet as P } from "../tools/relay/shared.js";
import { startRelay, runScenario, streamDigest, newSecret, hex } from "./device/relay/support.js";

function expectCases(report, names) {
  assert.is(report.aborted, null, `XS abort: ${report.aborted}`);
  assert.not.ok(report.timedOut, "the device did not finish");
  assert.ok(report.done, "no `done` line");
  for (const c of report.cases) assert.ok(c.ok, `${c.name}: ${c.why}`);
  assert.equal(report.cases.map((c) => c.name), names);
}

test("two device clients route to each other and exchange 64 KiB each way at once (SHA-256 checked); self -> id 0; maxLinks; close tells the peer", async () => {
  const relay = await startRelay();
  try {
    const size = 65536;
    const report = await runScenario({ scenario: "exchange", port: relay.port, relayKey: relay.keyHex, size });
    expectCases(report, ["both-open", "self-route-refused", "linked", "exchange-both-ways", "max-links", "close-clean"]);
    assert.is(report.digests["a-to-b"], await streamDigest(size, 1));
    assert.is(report.digests["b-to-a"], await streamDigest(size, 2));
    assert.ok(relay.log.some((l) => /route to \w+ -> id 0, refused: its own key/.test(l)));
    assert.ok(relay.log.some((l) => /link .* online/.test(l)));
    assert.is(relay.server.stats.forwardedBytes >= 2 * size, true);
  } finally {
    await relay.close();
  }
});

test("disconnect: the peer reads what came before, then RELAY_LINK_CLOSED; other links go on; relinking works", async () => {
  const relay = await startRelay();
  try {
    const report = await runScenario({ scenario: "disconnect", port: relay.port, relayKey: relay.keyHex });
    expectCases(report, ["all-open", "linked", "peer-close-notified", "other-link-unaffected", "relink-after-disconnect"]);
    assert.is(report.digests["a-to-c"], await streamDigest(4096, 3));
    assert.is(report.digests["b-to-a-again"], await streamDigest(2048, 4));
  } finally {
    await relay.close();
  }
});

test("a wrong relay key cannot pass the handshake (RELAY_CONNECT_FAILED); bad arguments are RELAY_BAD_ARGUMENT", async () => {
  const relay = await startRelay();
  try {
    const report = await runScenario({ scenario: "wrong-key", port: relay.port, relayKey: relay.keyHex });
    expectCases(report, ["wrong-relay-key-refused", "bad-arguments-coded"]);
    assert.ok(relay.log.some((l) => /handshake refused/.test(l)));
    assert.is(relay.server.connections, 0);
  } finally {
    await relay.close();
  }
});

test("pings: the device answers the relay's pings; its link to a peer that stops answering closes when the relay drops it", async () => {
  const relay = await startRelay({ pingInterval: 300, pingTimeout: 300 });
  const deviceSecret = newSecret();
  const devicePublic = crypto.publicKeyOf(deviceSecret);
  const peer = await NodeRelayClient.connect({ port: relay.port, relayKey: relay.publicKey });
  try {
    let routed = false;
    const report = await runScenario({
      scenario: "pings", port: relay.port, relayKey: relay.keyHex, secretKey: hex(deviceSecret), peerKey: hex(peer.publicKey),
      pingInterval: 300, timeout: 5000,
    }, {
      onLine: async (line) => {
        if (/route to/.test(line) && !routed) { routed = true; await peer.route(devicePublic); }
        if (line === "phase linked") peer.silent = true;
      },
    });
    expectCases(report, ["open", "linked-to-node-peer", "silent-peer-dropped-by-ping-timeout", "device-answered-pings-and-stays-open"]);
    assert.ok(relay.log.some((l) => /dropped: no pong within 300 ms/.test(l)));
    assert.not.ok(relay.log.some((l) => new RegExp(`${hex(devicePublic).slice(0, 8)} dropped: no pong`).test(l)), "the device was dropped");
  } finally {
    peer.end();
    await relay.close();
  }
});

test("a relay that stops answering pings fails the device's connection with RELAY_TIMEOUT", async () => {
  // a minimal relay: handshake, then pongs until the device says it is open, then silence
  const secretKey = newSecret();
  let silent = false;
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let input = Buffer.alloc(0);
    let session = null;
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      input = Buffer.concat([input, chunk]);
      if (!session) {
        if (input.length < 128) return;
        const accepted = crypto.acceptHandshake(secretKey, Uint8Array.prototype.slice.call(input, 0, 128), (b) => randomFillSync(b));
        input = input.subarray(128);
        session = accepted.session;
        socket.write(accepted.reply);
      }
      for (;;) {
        const length = P.frameLength(input);
        if (length < 0 || input.length < 2 + length) return;
        const plain = session.openFrame(input.subarray(2, 2 + length));
        input = input.subarray(2 + length);
        if (plain[0] === C.TCP_PACKET_PING && !silent) socket.write(Buffer.from(session.sealFrame(Uint8Array.of(5, ...plain.subarray(1)))));
      }
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  try {
    const report = await runScenario({ scenario: "relay-timeout", port: server.address().port, relayKey: hex(crypto.publicKeyOf(secretKey)), timeout: 5000 }, {
      onLine: (line) => { if (line === "phase open") silent = true; },
    });
    expectCases(report, ["open", "relay-silent-times-out"]);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
});

test.run();
