// Benchmark hooks for relay/crypto and relay/client in XS (bench/relay-tox.js calls them through the simulator's
// crank, with XS's own compute meter around each call).
import { ClientHandshake, acceptHandshake, publicKeyOf, Session, fromHex } from "relay/crypto";
import { connect, RelayClient, RelayLink } from "relay/client";

let x = 1;
const random = (b: Uint8Array) => { for (let i = 0; i < b.length; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; b[i] = x & 0xff; } };

const clientSecret = new Uint8Array(32);
const relaySecret = new Uint8Array(32);
random(clientSecret);
random(relaySecret);
const clientPublic = publicKeyOf(clientSecret);
const relayPublic = publicKeyOf(relaySecret);
let hello: ClientHandshake | undefined;
let reply: Uint8Array | undefined;
let a: Session | undefined;
let b: Session | undefined;

/** The client's side of a handshake, part 1: the hello (two X25519 operations: the long-term key with the relay's, a temporary key pair). */
export function clientHello(): void { hello = new ClientHandshake(clientPublic, clientSecret, relayPublic, random); }
/** The relay's side (three X25519 operations), done here only to make the reply. */
export function relayReply(): void {
  const r = acceptHandshake(relaySecret, hello!.hello, random)!;
  reply = r.reply;
  b = r.session;
}
/** The client's side, part 2: open the reply, the session key (one X25519 operation). */
export function clientFinish(): boolean { a = hello!.finish(reply!); return a !== undefined; }

const plain = new Uint8Array(1025);
/** Seal `kib` frames of 1 KiB of link data (1025-byte packets) and open each on the other side. */
export function sealKiB(kib: number): number {
  let n = 0;
  for (let i = 0; i < kib; i++) n += a!.sealFrame(plain).byteLength;
  return n;
}
const frames: Uint8Array[] = [];
export function prepareFrames(kib: number): void {
  frames.length = 0;
  for (let i = 0; i < kib; i++) frames.push(a!.sealFrame(plain).slice(2));
}
export function openKiB(): number {
  let n = 0;
  for (const f of frames) n += b!.openFrame(f)!.byteLength;
  return n;
}

let client: RelayClient | undefined;
const links: RelayLink[] = [];
/** A client to the relay at 127.0.0.1:port, with room for `maxLinks` links of rx/tx bytes each. */
export function open(port: number, relayKey: string, maxLinks: number, ring: number): void {
  client = connect("127.0.0.1", port, { relayKey, secretKey: clientSecret, random, maxLinks, linkRxSize: ring, linkTxSize: ring, pingInterval: 0 });
}
export function state(): string { return client!.state; }
/** Opens n links to keys nobody holds (they stay "waiting": the relay holds a slot each). */
export function addLinks(n: number): void {
  for (let i = 0; i < n; i++) {
    const k = new Uint8Array(32);
    random(k);
    links.push(client!.link(publicKeyOf(k)));
  }
}
export function waiting(): number { return links.filter((l) => l.state === "waiting").length; }
export function closeAll(): void { client?.close(); links.length = 0; }
export { fromHex };
