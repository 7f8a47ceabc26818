// What the serialized Secure Streams device tests share: a raw link to a proxy (bytes in, bytes out, no codec), a
// fake proxy that accepts our client's links and answers with bytes the case chooses (its own Listener), a
// 32-bit-safe PRNG for the fuzz, the echo, h1 and mqtt apps written once against the Handle every context gives,
// and the scenarios every way of reaching the proxy runs with them.
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import {
  LWSSSSRET_OK, LWSSSSRET_DESTROY_ME, LWSSSCS_CREATING, LWSSSCS_CONNECTED, LWSSSCS_DISCONNECTED,
  LWSSSCS_QOS_ACK_REMOTE, LWSSS_FLAG_SOM, LWSSS_FLAG_EOM,
} from "ss";
import type { AppContext, Handle } from "ss/sspc";
import type { Transport } from "ss/protocol";
import { tcpConnector } from "ss/tcp";
import { Recorder, Pattern, sleep, equal } from "../ss/support";
import { toHex } from "../common/check";

/** buf[start, end) as "aa 00 11 ..." (the notation of peers.md). */
export function hexOf(b: Uint8Array, start: number, end: number): string {
  return toHex(b.subarray(start, end));
}

/** xorshift32: every step stays a uint32 (`>>> 0`), so the sequence never loses bits as a float would. */
export class XorShift32 {
  #x: number;
  constructor(seed: number) {
    this.#x = (seed >>> 0) || 1;
  }
  next(): number {
    let x = this.#x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#x = x >>> 0;
    return this.#x;
  }
  /** 0 <= n < bound. */
  below(bound: number): number {
    return this.next() % bound;
  }
}

/** A raw link to a proxy: our own bytes, no client code in between. */
export function rawLink(port: number, ring = 4096): Transport {
  return tcpConnector()("127.0.0.1", port, { connectTimeout: 2000, idleTimeout: 0, rxSize: ring, txSize: ring, tag: "raw" });
}

export async function opened(conn: Transport, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while ((conn.state === "resolving" || conn.state === "connecting") && Date.now() < end) await conn.wait(100);
  return conn.state === "open";
}

/** Read until `n` bytes are in b[0, n), the link ends, or `ms` pass; the count. */
export async function readN(conn: Transport, b: Uint8Array, n: number, ms = 2000): Promise<number> {
  let got = 0;
  const end = Date.now() + ms;
  while (got < n && Date.now() < end) {
    let k = 0;
    try {
      k = conn.read(b, got, n - got);
    } catch {
      break;
    }
    got += k;
    if (k === 0) await conn.wait(50);
  }
  return got;
}

/** Whether the far end closed the link within `ms` (every byte before the close read and dropped). */
export async function closedByPeer(conn: Transport, ms = 2000): Promise<boolean> {
  const scratch = new Uint8Array(256);
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (conn.read(scratch) > 0) continue;
    } catch {
      return true;
    }
    if (conn.state === "closed" || conn.state === "failed") return true;
    await conn.wait(50);
  }
  return false;
}

/** One link the fake proxy accepted: every byte it received, kept in order; frames written as given. */
export class Peer {
  readonly rx = new Uint8Array(16384);
  n = 0;
  closed = false;
  readonly #socket: any; // the SDK's TCP
  constructor(from: TCP) {
    const rx = this.rx;
    this.#socket = new TCP({
      from,
      onReadable: (count: number) => {
        const k = count < rx.length - this.n ? count : rx.length - this.n;
        if (k > 0) {
          this.#socket.read(rx.subarray(this.n, this.n + k));
          this.n += k;
        }
      },
      onError: () => { this.closed = true; },
    } as any);
  }
  send(bytes: Uint8Array): void {
    this.#socket.write(bytes);
  }
  close(): void {
    this.closed = true;
    try { this.#socket.close(); } catch { /* closed */ }
  }
  /** Wait until `n` bytes came (true) or `ms` passed. */
  async until(n: number, ms = 2000): Promise<boolean> {
    const end = Date.now() + ms;
    while (this.n < n && !this.closed && Date.now() < end) await sleep(10);
    return this.n >= n;
  }
}

/** A stand-in proxy on `port`: it accepts links and lets the case speak for it. */
export class FakeProxy {
  readonly peers: Peer[] = [];
  readonly #listener: Listener & { close(): void };
  constructor(port: number) {
    this.#listener = new Listener({
      port,
      address: "127.0.0.1",
      onReadable: (count: number) => {
        for (let i = 0; i < count; i++) {
          const from = this.#listener.read();
          if (!from) break;
          this.peers.push(new Peer(from));
        }
      },
    }) as Listener & { close(): void };
  }
  /** The `index`th link accepted, once it is (undefined after `ms`). */
  async link(index: number, ms = 3000): Promise<Peer | undefined> {
    const end = Date.now() + ms;
    while (this.peers.length <= index && Date.now() < end) await sleep(10);
    return this.peers[index];
  }
  close(): void {
    this.#listener.close();
    for (const p of this.peers) p.close();
  }
}

/**
 * The echo app, written once against Handle (so it runs on openContext's local and proxied contexts alike):
 * connect at CREATING, send `total` pattern bytes from CONNECTED on, destroy when they all came back.
 */
export function echoApp(ctx: AppContext, streamtype: string, total: number): Recorder {
  const r = new Recorder(new Pattern());
  const source = new Pattern();
  let sent = 0;
  ctx.create<Recorder>({
    streamtype,
    state(h: Handle<Recorder>, _src, state) {
      h.opaque.state(state);
      if (state === LWSSSCS_CREATING) return h.clientConnect();
      if (state === LWSSSCS_CONNECTED && sent < total) return h.requestTx();
      return LWSSSSRET_OK;
    },
    tx(h: Handle<Recorder>, _ord, buf, out) {
      const n = out.len < total - sent ? out.len : total - sent;
      source.fill(buf, n);
      sent += n;
      out.len = n;
      if (sent < total) h.requestTx();
      return LWSSSSRET_OK;
    },
    rx(h: Handle<Recorder>, buf, len, flags) {
      h.opaque.received(buf, len, flags);
      return h.opaque.rxBytes >= total ? LWSSSSRET_DESTROY_ME : LWSSSSRET_OK;
    },
  }, r);
  return r;
}

/**
 * The mqtt app, written once against Handle: at CONNECTED it publishes `count` readings ("reading <i>") one after
 * another, each after the QOS_ACK_REMOTE of the one before; the stream type subscribes to its own topic, so each
 * comes back as rx (its topic in the "topic" metadata). Destroys itself when all came back. `got` lists the rx
 * payloads with their topics, in order.
 */
export function mqttApp(ctx: AppContext, streamtype: string, count: number): { r: Recorder; got: string[] } {
  const r = new Recorder();
  const got: string[] = [];
  let sent = 0;
  ctx.create<Recorder>({
    streamtype,
    state(h: Handle<Recorder>, _src, state) {
      h.opaque.state(state);
      if (state === LWSSSCS_CREATING) return h.clientConnect();
      if ((state === LWSSSCS_CONNECTED || state === LWSSSCS_QOS_ACK_REMOTE) && sent < count) return h.requestTx();
      return LWSSSSRET_OK;
    },
    tx(_h: Handle<Recorder>, _ord, buf, out) {
      const text = `reading ${sent++}`;
      for (let i = 0; i < text.length; i++) buf[i] = text.charCodeAt(i);
      out.len = text.length;
      out.flags = LWSSS_FLAG_SOM | LWSSS_FLAG_EOM;
      return LWSSSSRET_OK;
    },
    rx(h: Handle<Recorder>, buf, len, flags) {
      h.opaque.received(buf, len, flags);
      let text = "";
      for (let i = 0; i < len; i++) text += String.fromCharCode(buf[i]!);
      got.push(`${h.getMetadata("topic") ?? "?"} ${text}`);
      return got.length >= count ? LWSSSSRET_DESTROY_ME : LWSSSSRET_OK;
    },
  }, r);
  return { r, got };
}

/** The h1 app, written once against Handle: metadata at CREATING, connect, destroy at DISCONNECTED. */
export function getApp(ctx: AppContext): { r: Recorder; ctype: () => string | undefined } {
  const r = new Recorder(new Pattern());
  let ctype: string | undefined;
  ctx.create<Recorder>({
    streamtype: "get",
    state(h: Handle<Recorder>, _s, state) {
      h.opaque.state(state);
      if (state === LWSSSCS_CREATING) {
        h.setMetadata("unit", "7");
        h.setMetadata("xunit", "seven");
        return h.clientConnect();
      }
      if (state === LWSSSCS_DISCONNECTED) {
        ctype = h.getMetadata("ctype");
        return LWSSSSRET_DESTROY_ME;
      }
      return LWSSSSRET_OK;
    },
    rx(h: Handle<Recorder>, buf, len, flags) { h.opaque.received(buf, len, flags); return LWSSSSRET_OK; },
  }, r);
  return { r, ctype: () => ctype };
}

// The scenarios every way of reaching the proxy runs (its own TCP link per stream, or one mux link), each traced
// as "states <label> ...": the same app code, the same expectations as on a local context.

/** raw: 5000 pattern bytes echoed back whole, lws' raw states. */
export async function rawEchoScenario(ctx: AppContext, label: string): Promise<void> {
  const r = echoApp(ctx, "echo", 5000);
  await r.until("DESTROYING");
  trace(`states ${label} echo: ${r.sequence()}\n`);
  equal(r.rxBytes, 5000, "bytes echoed");
  equal(r.badByte, -1, "first wrong byte");
  equal(r.sequence(), "CREATING CONNECTING CONNECTED DISCONNECTED DESTROYING", "states");
}

/** h1 GET: metadata the app set reaches the server (it wants X-Unit), a response header comes back as metadata. */
export async function h1GetScenario(ctx: AppContext, label: string): Promise<void> {
  const { r, ctype } = getApp(ctx);
  await r.until("DESTROYING");
  trace(`states ${label} get: ${r.sequence()} rx ${r.rxSummary()}\n`);
  equal(r.sequence(), "CREATING CONNECTING CONNECTED QOS_ACK_REMOTE DISCONNECTED DESTROYING", "states");
  equal(r.rxBytes, 5000, "body bytes (the server wants the X-Unit the client set)");
  equal(r.badByte, -1, "first wrong byte");
  equal(ctype(), "application/x-field", "the response header came back as METADATA");
}

/** mqtt: five readings published at QoS 1 come back from the broker in order, as on the local context `local`. */
export async function mqttAsLocalScenario(ctx: AppContext, local: AppContext, label: string): Promise<void> {
  const remote = mqttApp(ctx, "mq", 5);
  await remote.r.until("DESTROYING", 20000);
  const direct = mqttApp(local, "mq", 5);
  await direct.r.until("DESTROYING", 20000);
  trace(`states ${label} mqtt: ${remote.r.sequence()} rx ${remote.got.join(", ")}\n`);
  const want = [0, 1, 2, 3, 4].map((i) => `proxied/readings reading ${i}`).join(", ");
  equal(remote.got.join(", "), want, `${label}: the readings came back from the broker, in order, with their topic`);
  equal(direct.got.join(", "), want, "local: the readings came back from the broker, in order, with their topic");
  equal(remote.r.sequence(), direct.r.sequence(), `the same states ${label} as locally`);
  equal(remote.r.rx.join(" "), direct.r.rx.join(" "), "the same rx chunks and flags");
  equal(remote.r.states.filter((s) => s === "QOS_ACK_REMOTE").length, 5, "a QOS_ACK_REMOTE per reading");
}

/**
 * The two-rounds app, against Handle: connects at CREATING, sends 100 pattern bytes; when they are back it calls
 * `breakLink()` (the case cuts the way to the proxy), and after the DISCONNECTED that follows it sends 100 more;
 * destroys itself when all 200 came back. `round()` is 1 once the link was broken.
 */
export function twoRoundsApp(ctx: AppContext, breakLink: () => void): { r: Recorder; round: () => number } {
  const r = new Recorder(new Pattern());
  const source = new Pattern();
  let round = 0;
  ctx.create<Recorder>({
    streamtype: "echo_ip",
    state(h: Handle<Recorder>, _s, state) {
      h.opaque.state(state);
      if (state === LWSSSCS_CREATING || state === LWSSSCS_DISCONNECTED && round === 1) return h.requestTx();
      return LWSSSSRET_OK;
    },
    tx(_h: Handle<Recorder>, _o, buf, out) { source.fill(buf, 100); out.len = 100; return LWSSSSRET_OK; },
    rx(h: Handle<Recorder>, buf, len, flags) {
      h.opaque.received(buf, len, flags);
      if (h.opaque.rxBytes === 100 && round === 0) {
        round = 1;
        breakLink();
      }
      return h.opaque.rxBytes >= 200 ? LWSSSSRET_DESTROY_ME : LWSSSSRET_OK;
    },
  }, r);
  return { r, round: () => round };
}
