// relay/crypto: the Tox TCP handshake and packet encryption, shared by the device client (XS) and the Node relay
// server (tools/relay, which loads this same file). Curve25519 (X25519), XSalsa20-Poly1305 and HSalsa20 come from
// @noble/curves and @noble/ciphers (audited, pure JS, no WebAssembly, no Node crypto); randomness is passed in.
// It owns no I/O: handshakes are built and checked from byte views, frames are sealed into and opened from scratch
// buffers the Session allocates once.
//
// What c-toxcore does (toxcore/crypto_core.c, TCP_client.c, TCP_server.c, TCP_common.c), as this module does it:
//   precompute(pk, sk)  = crypto_box_beforenm: HSalsa20(key = X25519(sk, pk), input = 16 zero bytes)
//   box                 = XSalsa20-Poly1305 with that key: output MAC (16) then ciphertext, as toxcore sends it
//   nonce increment     = the 24 bytes as one big-endian counter, +1 with full carry, wrapping at the top
//
// Client hello, 128 bytes, no length prefix (TCP_CLIENT_HANDSHAKE_SIZE):
//   +----------------------+-------------+--------------------------------------------------------+
//   | client long-term pk  | nonce N1    | box(precompute(server pk, client sk), N1,               |
//   | 32                   | 24          |     client temp pk 32 + client base nonce 24)  56+16=72 |
//   +----------------------+-------------+--------------------------------------------------------+
// Relay reply, 96 bytes (TCP_SERVER_HANDSHAKE_SIZE):
//   +-------------+-------------------------------------------------------------------------------+
//   | nonce N2 24 | box(same key, N2, relay temp pk 32 + relay base nonce 24)  72                 |
//   +-------------+-------------------------------------------------------------------------------+
// Then both sides use key = precompute(relay temp pk, client temp sk) (= precompute(client temp pk, relay temp sk)),
// each sending with its own base nonce (+1 per frame) and opening with the other's. A frame on the wire:
//   +-------------------+------------+-----------------------------+
//   | length u16 BE     | MAC 16     | ciphertext (length - 16)    |    length <= MAX_PACKET_SIZE (2048)
//   +-------------------+------------+-----------------------------+
import { montgomery } from "@noble/curves/abstract/montgomery.js";
import { invert } from "@noble/curves/abstract/modular.js";
import { hsalsa, xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import {
  CRYPTO_MAC_SIZE, CRYPTO_NONCE_SIZE, CRYPTO_PUBLIC_KEY_SIZE, CRYPTO_SECRET_KEY_SIZE, MAX_PACKET_SIZE,
  MAX_PLAIN_SIZE, TCP_CLIENT_HANDSHAKE_SIZE, TCP_HANDSHAKE_PLAIN_SIZE, TCP_LENGTH_SIZE, TCP_SERVER_HANDSHAKE_SIZE,
} from "relay/constants";

/** Fills `into` with random bytes: the caller's source (a board's hardware RNG, Node's crypto). */
export type Random = (into: Uint8Array) => void;

// X25519 from noble's Montgomery ladder with the curve's own parameters (RFC 7748). noble's ready-made x25519 lives
// in @noble/curves/ed25519.js, which XS cannot load (a class whose static field constructs the class itself fails
// in xsnap 0.15's XS: "Point: get ?: not initialized yet"), so the ladder is built here from its parts.
const P = 2n ** 255n - 19n;
const x25519 = montgomery({
  P,
  type: "x25519",
  adjustScalarBytes(bytes: Uint8Array): Uint8Array {
    // RFC 7748 section 5 clamping
    bytes[0]! &= 248;
    bytes[31]! &= 127;
    bytes[31]! |= 64;
    return bytes;
  },
  powPminus2: (x: bigint): bigint => (x === 0n ? 0n : invert(x, P)),
});

// "expand 32-byte k", the Salsa20 constant, as little-endian words
const SIGMA = Uint32Array.of(0x61707865, 0x3320646e, 0x79622d32, 0x6b206574);

function words(bytes: Uint8Array): Uint32Array {
  const out = new Uint32Array(bytes.byteLength >>> 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}

function bytesOf(wordsIn: Uint32Array): Uint8Array {
  const out = new Uint8Array(wordsIn.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < wordsIn.length; i++) view.setUint32(i * 4, wordsIn[i]!, true);
  return out;
}

function fresh(random: Random, size: number): Uint8Array {
  const out = new Uint8Array(size);
  random(out);
  return out;
}

/** The X25519 public key of a 32-byte secret key (clamped inside, as crypto_box_keypair's). */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  if (!(secretKey instanceof Uint8Array) || secretKey.byteLength !== CRYPTO_SECRET_KEY_SIZE) throw new RangeError("relay: a secret key is 32 bytes");
  return x25519.getPublicKey(secretKey);
}

/** A new key pair from `random`. */
export function newKeyPair(random: Random): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const secretKey = fresh(random, CRYPTO_SECRET_KEY_SIZE);
  return { publicKey: publicKeyOf(secretKey), secretKey };
}

/**
 * crypto_box_beforenm(pk, sk): the 32-byte key both ends of a box share. Undefined when `publicKey` is a low-order
 * point (X25519 gives all zeros): such a key is refused, never used.
 */
export function precompute(publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array | undefined {
  if (publicKey.byteLength !== CRYPTO_PUBLIC_KEY_SIZE || secretKey.byteLength !== CRYPTO_SECRET_KEY_SIZE) return undefined;
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(secretKey, publicKey);
  } catch {
    return undefined; // noble refuses low-order points
  }
  const out = new Uint32Array(8);
  hsalsa(SIGMA, words(shared), new Uint32Array(4), out);
  shared.fill(0);
  return bytesOf(out);
}

/** toxcore's increment_nonce: +1 on the 24 bytes read as a big-endian number, carry through every byte, wrap. */
export function incrementNonce(nonce: Uint8Array): void {
  let carry = 1;
  for (let i = nonce.byteLength - 1; i >= 0; i--) {
    carry += nonce[i]!;
    nonce[i] = carry & 0xff;
    carry >>>= 8;
  }
}

/** box(key, nonce, plain): MAC then ciphertext, plain.length + 16 bytes (a new array). */
export function seal(key: Uint8Array, nonce: Uint8Array, plain: Uint8Array): Uint8Array {
  return xsalsa20poly1305(key, nonce).encrypt(plain).slice();
}

/** Opens a box made by seal; undefined when it does not authenticate (or is too short). */
export function open(key: Uint8Array, nonce: Uint8Array, boxed: Uint8Array): Uint8Array | undefined {
  if (boxed.byteLength <= CRYPTO_MAC_SIZE) return undefined;
  try {
    return xsalsa20poly1305(key, nonce).decrypt(boxed).slice();
  } catch {
    return undefined;
  }
}

/**
 * One encrypted connection after the handshake: the shared key, the nonce for the next frame sent and the nonce
 * expected on the next frame received. Scratch buffers are allocated here once; the views sealFrame and openFrame
 * return point into them and are valid until the next call of the same method.
 */
export class Session {
  readonly #key: Uint8Array;
  readonly #sendNonce: Uint8Array;
  readonly #recvNonce: Uint8Array;
  // noble writes [16 scratch][MAC 16][ciphertext] into an output of plain + 32 bytes: the length prefix goes into
  // bytes 14-15 afterwards, so a frame leaves as one view with no extra copy.
  readonly #sealOut = new Uint8Array(MAX_PLAIN_SIZE + 32);
  readonly #openOut = new Uint8Array(MAX_PACKET_SIZE + 32);

  constructor(key: Uint8Array, sendNonce: Uint8Array, recvNonce: Uint8Array) {
    this.#key = key;
    this.#sendNonce = sendNonce;
    this.#recvNonce = recvNonce;
  }

  /** Copies of the current nonces (tests and logs). */
  get sendNonce(): Uint8Array { return this.#sendNonce.slice(); }
  get recvNonce(): Uint8Array { return this.#recvNonce.slice(); }

  /**
   * Seals plain[offset, offset + length) (1 to 2032 bytes) as the next frame: returns a view of
   * [u16 length][MAC][ciphertext] (length + 18 bytes) and advances the send nonce.
   */
  sealFrame(plain: Uint8Array, offset = 0, length = plain.byteLength - offset): Uint8Array {
    if (length < 1 || length > MAX_PLAIN_SIZE) throw new RangeError("relay: a packet is 1 to " + MAX_PLAIN_SIZE + " bytes");
    const out = this.#sealOut.subarray(0, length + 32);
    xsalsa20poly1305(this.#key, this.#sendNonce).encrypt(plain.subarray(offset, offset + length), out);
    incrementNonce(this.#sendNonce);
    const boxed = length + CRYPTO_MAC_SIZE;
    out[14] = boxed >>> 8;
    out[15] = boxed & 0xff;
    return out.subarray(16 - TCP_LENGTH_SIZE, 16 + boxed);
  }

  /**
   * Opens the body of the next frame (MAC + ciphertext, 17 to 2048 bytes, without its length prefix): returns a
   * view of the packet and advances the receive nonce, or undefined when it does not authenticate (the nonce stays).
   */
  openFrame(body: Uint8Array): Uint8Array | undefined {
    const length = body.byteLength;
    if (length <= CRYPTO_MAC_SIZE || length > MAX_PACKET_SIZE) return undefined;
    let plain: Uint8Array;
    try {
      plain = xsalsa20poly1305(this.#key, this.#recvNonce).decrypt(body, this.#openOut.subarray(0, length + 32));
    } catch {
      return undefined;
    }
    incrementNonce(this.#recvNonce);
    return plain;
  }
}

/** The client's side of the handshake: hello() is sent, finish(reply) makes the Session. */
export class ClientHandshake {
  readonly hello: Uint8Array;
  readonly #longKey: Uint8Array;
  readonly #tempSecret: Uint8Array;
  readonly #sendNonce: Uint8Array;

  /** Throws RangeError for keys of the wrong size or a relay key that is a low-order point. */
  constructor(selfPublic: Uint8Array, selfSecret: Uint8Array, relayPublic: Uint8Array, random: Random) {
    if (selfPublic.byteLength !== CRYPTO_PUBLIC_KEY_SIZE || relayPublic.byteLength !== CRYPTO_PUBLIC_KEY_SIZE) {
      throw new RangeError("relay: public keys are 32 bytes");
    }
    const longKey = precompute(relayPublic, selfSecret);
    if (!longKey) throw new RangeError("relay: the relay's public key is not usable (low-order point)");
    this.#longKey = longKey;
    this.#tempSecret = fresh(random, CRYPTO_SECRET_KEY_SIZE);
    this.#sendNonce = fresh(random, CRYPTO_NONCE_SIZE);
    const plain = new Uint8Array(TCP_HANDSHAKE_PLAIN_SIZE);
    plain.set(publicKeyOf(this.#tempSecret), 0);
    plain.set(this.#sendNonce, CRYPTO_PUBLIC_KEY_SIZE);
    const nonce = fresh(random, CRYPTO_NONCE_SIZE);
    const hello = new Uint8Array(TCP_CLIENT_HANDSHAKE_SIZE);
    hello.set(selfPublic, 0);
    hello.set(nonce, CRYPTO_PUBLIC_KEY_SIZE);
    hello.set(seal(longKey, nonce, plain), CRYPTO_PUBLIC_KEY_SIZE + CRYPTO_NONCE_SIZE);
    this.hello = hello;
  }

  /** The relay's 96-byte reply -> the Session, or undefined when it is not a reply from that relay. */
  finish(reply: Uint8Array): Session | undefined {
    if (reply.byteLength !== TCP_SERVER_HANDSHAKE_SIZE) return undefined;
    const plain = open(this.#longKey, reply.subarray(0, CRYPTO_NONCE_SIZE), reply.subarray(CRYPTO_NONCE_SIZE));
    if (!plain || plain.byteLength !== TCP_HANDSHAKE_PLAIN_SIZE) return undefined;
    const key = precompute(plain.subarray(0, CRYPTO_PUBLIC_KEY_SIZE), this.#tempSecret);
    this.#tempSecret.fill(0);
    if (!key) return undefined;
    return new Session(key, this.#sendNonce, plain.slice(CRYPTO_PUBLIC_KEY_SIZE));
  }
}

/**
 * The relay's side: a 128-byte hello -> the client's long-term key, the 96-byte reply to send and the Session;
 * undefined when the hello was not made for this relay's key (c-toxcore then closes without a reply).
 */
export function acceptHandshake(relaySecret: Uint8Array, hello: Uint8Array, random: Random):
  { clientKey: Uint8Array; reply: Uint8Array; session: Session } | undefined {
  if (hello.byteLength !== TCP_CLIENT_HANDSHAKE_SIZE) return undefined;
  const clientKey = hello.slice(0, CRYPTO_PUBLIC_KEY_SIZE);
  const longKey = precompute(clientKey, relaySecret);
  if (!longKey) return undefined;
  const at = CRYPTO_PUBLIC_KEY_SIZE + CRYPTO_NONCE_SIZE;
  const plain = open(longKey, hello.subarray(CRYPTO_PUBLIC_KEY_SIZE, at), hello.subarray(at));
  if (!plain || plain.byteLength !== TCP_HANDSHAKE_PLAIN_SIZE) return undefined;
  const tempSecret = fresh(random, CRYPTO_SECRET_KEY_SIZE);
  const sendNonce = fresh(random, CRYPTO_NONCE_SIZE);
  const replyPlain = new Uint8Array(TCP_HANDSHAKE_PLAIN_SIZE);
  replyPlain.set(publicKeyOf(tempSecret), 0);
  replyPlain.set(sendNonce, CRYPTO_PUBLIC_KEY_SIZE);
  const nonce = fresh(random, CRYPTO_NONCE_SIZE);
  const reply = new Uint8Array(TCP_SERVER_HANDSHAKE_SIZE);
  reply.set(nonce, 0);
  reply.set(seal(longKey, nonce, replyPlain), CRYPTO_NONCE_SIZE);
  const key = precompute(plain.subarray(0, CRYPTO_PUBLIC_KEY_SIZE), tempSecret);
  tempSecret.fill(0);
  if (!key) return undefined;
  return { clientKey, reply, session: new Session(key, sendNonce, plain.slice(CRYPTO_PUBLIC_KEY_SIZE)) };
}

/** Lowercase hex of bytes (keys in logs and options). */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.byteLength; i++) s += (bytes[i]! < 16 ? "0" : "") + bytes[i]!.toString(16);
  return s;
}

/** Bytes of a hex string; undefined when it is not `length` bytes of hex. */
export function fromHex(hex: string, length: number): Uint8Array | undefined {
  if (typeof hex !== "string" || hex.length !== length * 2 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
