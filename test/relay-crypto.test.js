// relay/crypto and relay/packet: the same file in Node (tools/relay/shared.js) and in XS (the simulator): NaCl's
// crypto_box_beforenm vector, toxcore's nonce increment (carry through every byte, wrap at the top), a handshake made
// in XS and accepted in Node with frames both ways, and the frame-length decoder. Also the XS compute it costs.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { randomFillSync } from "node:crypto";
import { Simulator } from "../sim/simulator.js";
import { crypto, packet as P } from "../tools/relay/shared.js";
import { MANIFEST, prepareNoble } from "./device/relay/support.js";

// NaCl's box test vector (alice's secret key, bob's public key -> the precomputed key)
const ALICE_SK = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const BOB_PK = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const K = "1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389";
const ALICE_PK = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
const bytes = (h) => Uint8Array.from(Buffer.from(h, "hex"));

test("Node: crypto_box_beforenm and the public key match NaCl's vector", () => {
  assert.is(crypto.toHex(crypto.precompute(bytes(BOB_PK), bytes(ALICE_SK))), K);
  assert.is(crypto.toHex(crypto.publicKeyOf(bytes(ALICE_SK))), ALICE_PK);
  assert.is(crypto.precompute(new Uint8Array(32), bytes(ALICE_SK)), undefined, "a low-order key is refused");
});

test("Node: the nonce is a 24-byte big-endian counter: +1, carry through every byte, wrap at the top", () => {
  const n = new Uint8Array(24);
  n[23] = 0xff; n[22] = 0xff;
  crypto.incrementNonce(n);
  assert.is(crypto.toHex(n), "000000000000000000000000000000000000000000010000");
  const top = new Uint8Array(24).fill(0xff);
  crypto.incrementNonce(top);
  assert.is(crypto.toHex(top), "0".repeat(48));
});

test("frameLength: need more bytes (-1), a bad frame over 2048 (-2), else the length; 0 is a length c-toxcore skips", () => {
  assert.is(P.frameLength(Uint8Array.of(8)), P.NEED_MORE);
  assert.is(P.frameLength(Uint8Array.of(8, 0)), 2048);
  assert.is(P.frameLength(Uint8Array.of(8, 1)), P.BAD_FRAME);
  assert.is(P.frameLength(Uint8Array.of(0, 0)), 0);
});

test("a session refuses a frame that does not authenticate and keeps its nonce; frames are [u16 length][MAC][ciphertext]", () => {
  const key = new Uint8Array(32).fill(1);
  const a = new crypto.Session(key, new Uint8Array(24), new Uint8Array(24).fill(9));
  const b = new crypto.Session(key, new Uint8Array(24).fill(9), new Uint8Array(24));
  const frame = a.sealFrame(Uint8Array.of(4, 1, 2, 3, 4, 5, 6, 7, 8));
  assert.is(frame.length, 2 + 9 + 16);
  assert.is((frame[0] << 8) | frame[1], 25);
  const body = frame.slice(2);
  body[5] ^= 1;
  assert.is(b.openFrame(body), undefined);
  body[5] ^= 1;
  assert.equal([...b.openFrame(body)], [4, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.is(crypto.toHex(b.recvNonce), "0".repeat(46) + "01");
});

test("XS: the same vector and nonce wrap; a handshake made in XS is accepted in Node and frames go both ways", async () => {
  prepareNoble();
  const sim = await Simulator.start({ manifest: MANIFEST, config: { relayTest: {} } });
  try {
    const { result: v } = await sim.crank(`
      const c = importNow("relay/crypto");
      const n = new Uint8Array(24).fill(255);
      c.incrementNonce(n);
      return { k: c.toHex(c.precompute(c.fromHex("${BOB_PK}", 32), c.fromHex("${ALICE_SK}", 32))), pk: c.toHex(c.publicKeyOf(c.fromHex("${ALICE_SK}", 32))), wrap: c.toHex(n) };`);
    assert.equal(v, { k: K, pk: ALICE_PK, wrap: "0".repeat(48) });
    const relaySecret = new Uint8Array(32);
    randomFillSync(relaySecret);
    const relayPublic = crypto.toHex(crypto.publicKeyOf(relaySecret));
    const { result: hello } = await sim.crank(`
      const c = importNow("relay/crypto");
      let x = 7;
      const random = (b) => { for (let i = 0; i < b.length; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; } };
      const sk = new Uint8Array(32); random(sk);
      globalThis.hs = new c.ClientHandshake(c.publicKeyOf(sk), sk, c.fromHex("${relayPublic}", 32), random);
      return c.toHex(globalThis.hs.hello);`);
    const accepted = crypto.acceptHandshake(relaySecret, bytes(hello), (b) => randomFillSync(b));
    assert.ok(accepted, "Node did not accept the XS hello");
    const toXs = crypto.toHex(accepted.session.sealFrame(Uint8Array.of(16, 0x68, 0x69)));
    const { result: back } = await sim.crank(`
      const c = importNow("relay/crypto");
      const s = globalThis.hs.finish(c.fromHex("${crypto.toHex(accepted.reply)}", 96));
      const frame = c.fromHex("${toXs}", ${toXs.length / 2});
      const plain = s.openFrame(frame.subarray(2));
      return { plain: c.toHex(plain), reply: c.toHex(s.sealFrame(Uint8Array.of(17, 0x6f, 0x6b))) };`);
    assert.is(back.plain, "106869");
    const reply = bytes(back.reply);
    assert.equal([...accepted.session.openFrame(reply.subarray(2))], [17, 0x6f, 0x6b]);
  } finally {
    await sim.close();
  }
});

test.run();
