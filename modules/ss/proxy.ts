// The Secure Streams proxy (lws' lib/secure-streams/serialized/proxy, v4.4.5, on the wire as ../shared/peers.md
// records it): a TCP listener; each accepted connection is one client stream. The client's STREAMTYPE creates the
// real stream from this device's policy (the client never learns endpoints or certificates); its states, rx and
// metadata go back as CONNSTATE / RX_PAYLOAD frames (ss/serial), its tx comes from the client's TX_PAYLOAD frames.
//
// Where it listens: a TCP port (127.0.0.1 by default), or, in the simulator only, a filesystem unix socket (`path`:
// hosts/sim/listener.js takes it; a board has no such thing). A listen that fails (EADDRINUSE while the previous
// proxy's socket is still going away) is retried with a bounded backoff. Or, with `link`, no listener: one byte
// link (a UART on a board, `{ io: Serial, ... }`; a TCP connection or a pty in the simulator) carries lws'
// transport mux (ss/mux, role "proxy"), and each channel a client opens on it is one client stream, served as an
// accepted connection is.
//
// Per connection, allocated once at accept: the input buffer (the longest frame it takes), the output ring, the
// queue of tx payloads the stream has not taken yet, and the last metadata value sent per item. A client that does
// not read is closed when its output ring cannot take the next frame (stats.closedSlow); a client that sends faster
// than its stream takes is not read (TCP backpressure), and its tx credit is what STREAMTYPE and TXCR_UPDATE gave,
// less what was sent: nothing grows with the traffic, one slow client never holds more than its own ring.
//
// What goes back besides states and rx: a metadata item of the stream type whose value the peer changed (an h1
// response header the policy names) is sent as RXPRE_METADATA before the state or rx that follows it.
//
// Link states, lws' LPCSPROX_*: WAIT_INITIAL_TX (only STREAMTYPE is taken) -> OPERATIONAL (after CREATE_RESULT ok),
// or REPORTING_FAIL (CREATE_RESULT `56 00 05 01 00 00 00 00`, the link stays open as lws v4.4.5 keeps it) ->
// DESTROYED. Bad input closes only that connection, with the reason logged: an unknown prefix, a length beyond the
// buffer or wrong for its frame, metadata for a name the stream type does not have, a payload (or anything but
// STREAMTYPE) before the create result, a second STREAMTYPE, DESTROYING from the client.
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import Timer from "timer";
import Ring from "ring";
import {
  LPCSPROX_WAIT_INITIAL_TX, LPCSPROX_REPORTING_FAIL, LPCSPROX_OPERATIONAL, LPCSPROX_DESTROYED,
  LWSSS_SER_RXPRE_RX_PAYLOAD, LWSSS_SER_RXPRE_METADATA, LWSSS_SER_TXPRE_STREAMTYPE, LWSSS_SER_TXPRE_ONWARD_CONNECT, LWSSS_SER_TXPRE_DESTROYING,
  LWSSS_SER_TXPRE_TX_PAYLOAD, LWSSS_SER_TXPRE_METADATA, LWSSS_SER_TXPRE_TXCR_UPDATE, LWSSS_SER_TXPRE_TIMEOUT_UPDATE,
  LWSSS_SER_TXPRE_PAYLOAD_LENGTH_HINT, LWSSSSRET_OK, LWSSSSRET_TX_DONT_SEND,
  LWSSSCS_DESTROYING, LWSSS_FLAG_SOM, LWSSS_FLAG_EOM, LWS_SS_MTU, connStateName,
} from "ss/constants";
import type { Context } from "ss";
import { Mux, type MuxChannel, type MuxOptions, type LinkProvider } from "ss/mux";
import type { SecureStream, TxOut } from "ss/stream";
import {
  Frame, HEADER, PAYLOAD_AT, NEED_MORE, TIMEOUT_CANCEL, frameLength, decode, describe, metadataNameFits,
  writeCreateResult, writeConnState, writePayloadHead, writeMetadata, nowUs,
} from "ss/serial";

export interface ProxyOptions {
  /** The context whose policy and connectors serve the clients' streams. */
  context: Context;
  /** The TCP port (0: any free one; `port` then tells which once listening). */
  port?: number;
  /** Default 127.0.0.1. */
  address?: string;
  /** Simulator only: listen on this filesystem unix socket instead of a TCP port (lws' `-i` path). */
  path?: string;
  /** Serve lws' transport mux on this one link instead of listening (`{ io: Serial, port, receive, transmit,
   * baud }`, `{ io: TCP, from }`, ...): each channel is one client. */
  link?: LinkProvider;
  /** The mux's other options (ping interval, rings, channels; ss/mux MuxOptions). maxChannels defaults to
   * maxClients. */
  mux?: Partial<Omit<MuxOptions, "link" | "role" | "onChannel">>;
  /** Listen attempts before giving up (default 8), the first retry after listenRetryMs (default 100), doubling up
   * to 2000 ms. */
  listenTries?: number;
  listenRetryMs?: number;
  /** Clients at once, at most (default 8; one more is closed at accept). */
  maxClients?: number;
  /** The longest frame a client may send (default PAYLOAD_AT + LWS_SS_MTU + 64). */
  inSize?: number;
  /** Each client's output ring (default 8192). */
  outSize?: number;
  /** Each client's queue of tx payloads not yet taken by its stream (default 4096). */
  txSize?: number;
  log?: (line: string) => void;
}

export interface ProxyStats {
  accepted: number;
  closedBad: number;
  closedSlow: number;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Times a client's onward stream was paused because its output ring was filling (rx flow control). */
  rxPaused: number;
}

type Closable = { close(): void };

/** The callbacks a client's socket is made with. */
type SocketCallbacks = { onReadable: (count: number) => void; onWritable: (count: number) => void; onError: () => void };

// Each queued tx payload: [u32 flags][u16 length][payload].
const TXQ_HEAD = 6;

/** Output ring fill above which the client's onward stream stops being read: room is kept for two more rx chunks
 * (a stream reads at most LWS_SS_MTU bytes at a time, and stops between reads once paused). */
const rxFlowOnAbove = (capacity: number): number => Math.max(capacity >> 1, capacity - 2 * (PAYLOAD_AT + LWS_SS_MTU));
/** ... and below which it is read again. */
const rxFlowOffBelow = (capacity: number): number => capacity >> 2;

class Client {
  readonly id: number;
  /** Its onward stream's rx is paused (rxFlow(false)) until the output ring drains. */
  rxPaused = false;
  socket: any;
  readable = 0;
  writable = 0;
  state = LPCSPROX_WAIT_INITIAL_TX;
  h: SecureStream<Client> | undefined;
  creating = false;
  /** States the stream gave while it was being created (before CREATE_RESULT could go out). */
  early: number[] = [];
  /** The stream type's metadata names, and the value each had when last sent or received (change detection). */
  mdNames: readonly string[] = [];
  mdSeen: (string | undefined)[] = [];
  credit = 0;
  closed = false;
  readonly inBuf: Uint8Array;
  inEnd = 0;
  readonly out: Ring;
  readonly txq: Uint8Array;
  txqStart = 0;
  txqEnd = 0;
  /** Bytes of the head tx payload already given to the stream. */
  txqTaken = 0;
  readonly scratch = new Uint8Array(PAYLOAD_AT + 8);
  readonly frame = new Frame();

  constructor(id: number, inSize: number, outSize: number, txSize: number) {
    this.id = id;
    this.inBuf = new Uint8Array(inSize);
    this.out = new Ring(outSize);
    this.txq = new Uint8Array(txSize);
  }
}

export class Proxy {
  /** The port listened on (the one picked when options.port was 0); 0 before listening, or for a `path`. */
  port = 0;
  /** Listening now (false while a listen is being retried, and after close()). */
  listening = false;
  readonly stats: ProxyStats = { accepted: 0, closedBad: 0, closedSlow: 0, framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0,
    rxPaused: 0 };
  readonly #options: ProxyOptions;
  readonly #context: Context;
  readonly #log: (line: string) => void;
  readonly #max: number;
  readonly #inSize: number;
  readonly #outSize: number;
  readonly #txSize: number;
  readonly #clients: Client[] = [];
  #listener: (Listener & Closable) | undefined;
  #listenTimer: ReturnType<typeof Timer.set> | undefined;
  #listenTries = 0;
  /** The transport mux, when serving one link (options.link). */
  readonly mux: Mux | undefined;
  #closed = false;
  #serial = 0;

  constructor(options: ProxyOptions) {
    this.#context = options.context;
    this.#log = options.log ?? ((line: string) => trace(`${line}\n`));
    this.#max = options.maxClients ?? 8;
    this.#inSize = options.inSize ?? PAYLOAD_AT + LWS_SS_MTU + 64;
    this.#outSize = options.outSize ?? 8192;
    this.#txSize = options.txSize ?? 4096;
    this.#options = options;
    if (options.link) {
      this.mux = new Mux({
        log: this.#log, maxChannels: this.#max, ...options.mux, link: options.link, role: "proxy",
        onChannel: (ch: MuxChannel) => this.#accept((callbacks) => ch.attach(callbacks)),
      });
      this.#log(`ss-proxy: serving the transport mux on one link`);
      return;
    }
    this.#listen();
  }

  /** Where this proxy listens, for the log: "127.0.0.1:7681" or a socket path. */
  get where(): string {
    const o = this.#options;
    if (o.link) return "a mux link";
    return o.path ?? `${o.address ?? "127.0.0.1"}:${this.port || (o.port ?? 0)}`;
  }

  #listen(): void {
    this.#listenTimer = undefined;
    if (this.#closed) return;
    const o = this.#options;
    // `path` is the simulator's extension (hosts/sim/listener.js), not in the SDK's typing: hence `any`.
    const spec: any = o.path !== undefined ? { path: o.path } : { port: o.port ?? 0, address: o.address ?? "127.0.0.1" };
    spec.onReadable = (count: number) => {
      for (let i = 0; i < count; i++) {
        const from = this.#listener?.read();
        if (!from) break;
        this.#accept((callbacks) => new TCP({ from, nodelay: true, ...callbacks }));
      }
    };
    try {
      const l = new Listener(spec) as Listener & Closable;
      this.#listener = l;
      if (o.path === undefined) this.port = l.port || (o.port ?? 0);
      this.listening = true;
      this.#log(`ss-proxy: listening on ${this.where}`);
    } catch (error) {
      const tries = o.listenTries ?? 8;
      this.#listenTries++;
      if (this.#listenTries >= tries) {
        this.#log(`ss-proxy: cannot listen on ${this.where}: ${String(error)}; gave up after ${tries} attempts`);
        return;
      }
      let ms = (o.listenRetryMs ?? 100) * (1 << (this.#listenTries - 1));
      if (ms > 2000) ms = 2000;
      this.#log(`ss-proxy: cannot listen on ${this.where}: ${String(error)}; attempt ${this.#listenTries + 1} of ${tries} in ${ms} ms`);
      this.#listenTimer = Timer.set(() => this.#listen(), ms);
    }
  }

  /** Client connections open now. */
  get clients(): number { return this.#clients.length; }

  /** Stop listening and close every client (their streams are destroyed). */
  close(): void {
    this.#closed = true;
    this.listening = false;
    if (this.#listenTimer !== undefined) Timer.clear(this.#listenTimer);
    this.#listenTimer = undefined;
    const l = this.#listener;
    this.#listener = undefined;
    try { l?.close(); } catch { /* closed */ }
    for (const c of this.#clients.slice()) this.#drop(c, "proxy closing");
    this.mux?.close();
  }

  /** A client: `make` gives its socket (an accepted TCP, a mux channel) with these callbacks. */
  #accept(make: (callbacks: SocketCallbacks) => any): void {
    const c = new Client(++this.#serial, this.#inSize, this.#outSize, this.#txSize);
    this.stats.accepted++;
    c.socket = make({
      onReadable: (count: number) => {
        c.readable = count;
        this.#pump(c);
      },
      onWritable: (count: number) => {
        c.writable = count;
        this.#flush(c);
      },
      onError: () => this.#drop(c, "client closed the link"),
    });
    if (this.#clients.length >= this.#max) {
      this.#drop(c, `too many clients (maxClients ${this.#max})`);
      return;
    }
    this.#clients.push(c);
  }

  #bad(c: Client, reason: string): void {
    this.stats.closedBad++;
    this.#drop(c, `bad input: ${reason}`);
  }

  #drop(c: Client, reason: string): void {
    if (c.closed) return;
    c.closed = true;
    c.state = LPCSPROX_DESTROYED;
    this.#log(`ss-proxy: client ${c.id} closed: ${reason}`);
    const i = this.#clients.indexOf(c);
    if (i >= 0) this.#clients.splice(i, 1);
    const socket = c.socket;
    c.socket = undefined;
    try { socket?.close(); } catch { /* closed */ }
    const h = c.h;
    c.h = undefined;
    if (h) h.destroy();
  }

  /** Socket -> input buffer, frames out of it, while the stream's tx queue can take them. */
  #pump(c: Client): void {
    while (!c.closed) {
      const room = c.inBuf.length - c.inEnd;
      const n = c.readable < room ? c.readable : room;
      if (n > 0) {
        c.socket.read(c.inBuf.subarray(c.inEnd, c.inEnd + n));
        c.readable -= n;
        c.inEnd += n;
        this.stats.bytesIn += n;
      }
      let at = 0;
      while (!c.closed) {
        const len = frameLength(c.inBuf, at, c.inEnd, "to-proxy", c.inBuf.length);
        if (len === NEED_MORE) break;
        if (len < 0) {
          this.#bad(c, describe(len, c.inBuf[at]));
          return;
        }
        if (c.inBuf[at] === LWSSS_SER_TXPRE_TX_PAYLOAD && c.state === LPCSPROX_OPERATIONAL &&
          (len - PAYLOAD_AT + TXQ_HEAD > c.txq.length - (c.txqEnd - c.txqStart) || this.#backedUp(c))) break; // hold it
        this.stats.framesIn++;
        this.#frame(c, at, len);
        at += len;
      }
      if (c.closed) return;
      if (at > 0) {
        c.inBuf.copyWithin(0, at, c.inEnd);
        c.inEnd -= at;
      }
      if (n === 0 || at === 0 && c.inEnd === c.inBuf.length) return;
    }
  }

  #frame(c: Client, at: number, len: number): void {
    const buf = c.inBuf;
    const f = decode(buf, at, len, c.frame);
    if (f.prefix === LWSSS_SER_TXPRE_STREAMTYPE) {
      if (c.state !== LPCSPROX_WAIT_INITIAL_TX) return this.#bad(c, `STREAMTYPE in ${connStateName(c.state)}`);
      this.#create(c, f.name, f.value);
      return;
    }
    if (c.state !== LPCSPROX_OPERATIONAL || !c.h) {
      return this.#bad(c, `frame 0x${f.prefix.toString(16)} before the create result (${connStateName(c.state)})`);
    }
    const h = c.h;
    switch (f.prefix) {
      case LWSSS_SER_TXPRE_ONWARD_CONNECT:
        h.clientConnect();
        return;
      case LWSSS_SER_TXPRE_DESTROYING:
        this.#drop(c, "client sent DESTROYING");
        return;
      case LWSSS_SER_TXPRE_TX_PAYLOAD: {
        const n = f.payloadEnd - f.payloadAt;
        const q = c.txq;
        if (c.txqStart > 0 && c.txqEnd + TXQ_HEAD + n > q.length) {
          q.copyWithin(0, c.txqStart, c.txqEnd);
          c.txqEnd -= c.txqStart;
          c.txqStart = 0;
        }
        const e = c.txqEnd;
        q[e] = f.flags >>> 24; q[e + 1] = (f.flags >>> 16) & 0xff; q[e + 2] = (f.flags >>> 8) & 0xff; q[e + 3] = f.flags & 0xff;
        q[e + 4] = n >> 8; q[e + 5] = n & 0xff;
        q.set(buf.subarray(f.payloadAt, f.payloadEnd), e + TXQ_HEAD);
        c.txqEnd = e + TXQ_HEAD + n;
        h.requestTx();
        return;
      }
      case LWSSS_SER_TXPRE_METADATA:
        if (!metadataNameFits(buf, at, len)) return this.#bad(c, "metadata name longer than its frame");
        if (!h.setMetadata(f.name, f.text)) return this.#bad(c, `metadata for an unknown name "${f.name}"`);
        { const i = c.mdNames.indexOf(f.name); if (i >= 0) c.mdSeen[i] = f.text; }
        return;
      case LWSSS_SER_TXPRE_TXCR_UPDATE:
        c.credit += f.value;
        return;
      case LWSSS_SER_TXPRE_TIMEOUT_UPDATE:
        if (f.value === TIMEOUT_CANCEL) h.cancelTimeout();
        else h.startTimeout(f.value);
        return;
      case LWSSS_SER_TXPRE_PAYLOAD_LENGTH_HINT:
        h.requestTxLen(f.value);
        return;
      default:
        this.#bad(c, describe(-1, f.prefix));
    }
  }

  #create(c: Client, name: string, credit: number): void {
    c.credit = credit;
    const type = this.#context.policy.lookup(name);
    let h: SecureStream<Client> | undefined;
    let why = type ? "" : `no stream type "${name}" in the policy`;
    if (type) {
      c.creating = true;
      try {
        h = this.#context.create<Client>({
          streamtype: name,
          state: (hh, _src, state) => this.#state(hh.opaque, state),
          rx: (hh, b, n, flags) => this.#rx(hh.opaque, b, n, flags),
          tx: (hh, _ord, b, out) => this.#tx(hh.opaque, b, out),
        }, c);
      } catch (error) {
        why = String(error);
      }
      c.creating = false;
    }
    const s = c.scratch;
    if (!h || h.destroyed) {
      this.#log(`ss-proxy: client ${c.id}: create "${name}" failed: ${why}`);
      c.state = LPCSPROX_REPORTING_FAIL;
      this.#send(c, s, 0, writeCreateResult(s, 0, 1, 0, ""));
      c.early.length = 0;
      return;
    }
    c.h = h;
    c.state = LPCSPROX_OPERATIONAL;
    const md = type!.metadata;
    const names: string[] = [];
    for (let i = 0; i < md.length; i++) names.push(md[i]!.name);
    c.mdNames = names;
    c.mdSeen = new Array<string | undefined>(names.length);
    // lws: the stream type, then its rideshare types (none here): ",echo_raw"
    this.#sendCreateOk(c, name);
    const early = c.early;
    for (let i = 0; i < early.length; i++) this.#send(c, s, 0, writeConnState(s, 0, early[i]!, 0));
    early.length = 0;
  }

  #sendCreateOk(c: Client, names: string): void {
    const frame = new Uint8Array(HEADER + 6 + names.length * 3);
    this.#send(c, frame, 0, writeCreateResult(frame, 0, 0, 0, names));
  }

  #state(c: Client, state: number): number {
    if (c.closed || state === LWSSSCS_DESTROYING) return LWSSSSRET_OK;
    if (c.creating) {
      c.early.push(state);
      return LWSSSSRET_OK;
    }
    this.#metadataBack(c);
    const s = c.scratch;
    this.#send(c, s, 0, writeConnState(s, 0, state, 0));
    return LWSSSSRET_OK;
  }

  /** Items whose value changed at the stream's side since last sent (the peer set them): METADATA frames. */
  #metadataBack(c: Client): void {
    const h = c.h;
    if (!h) return;
    const names = c.mdNames;
    for (let i = 0; i < names.length && !c.closed; i++) {
      const v = h.getMetadata(names[i]!);
      if (v === undefined || v === "" || v === c.mdSeen[i]) continue;
      c.mdSeen[i] = v;
      const frame = new Uint8Array(HEADER + 1 + names[i]!.length * 3 + v.length * 3);
      this.#send(c, frame, 0, writeMetadata(frame, 0, LWSSS_SER_RXPRE_METADATA, names[i]!, v));
    }
  }

  #rx(c: Client, buf: Uint8Array, len: number, flags: number): number {
    if (c.closed) return LWSSSSRET_OK;
    this.#metadataBack(c);
    if (c.closed) return LWSSSSRET_OK;
    if (c.out.free < PAYLOAD_AT + len) {
      this.stats.closedSlow++;
      this.#drop(c, `client too slow: its output ring (${c.out.capacity}) cannot take ${PAYLOAD_AT + len} more bytes`);
      return LWSSSSRET_OK;
    }
    const s = c.scratch;
    writePayloadHead(s, 0, LWSSS_SER_RXPRE_RX_PAYLOAD, flags, 0, nowUs(), len);
    c.out.write(s, 0, PAYLOAD_AT);
    c.out.write(buf, 0, len);
    c.credit -= len;
    this.stats.framesOut++;
    this.#flush(c);
    if (!c.rxPaused && c.h && c.out.available > rxFlowOnAbove(c.out.capacity)) {
      // as lws' proxy above proxy_buflen_rxflow_on_above: stop reading the onward connection until the client
      // has drained its ring (the server is pushed back, instead of the client being dropped as too slow)
      c.rxPaused = true;
      this.stats.rxPaused++;
      c.h.rxFlow(false);
    }
    return LWSSSSRET_OK;
  }

  #tx(c: Client, buf: Uint8Array, out: TxOut): number {
    if (c.closed || c.txqStart === c.txqEnd) return LWSSSSRET_TX_DONT_SEND;
    const q = c.txq;
    const h = c.txqStart;
    const flags = ((q[h]! << 24) >>> 0) + ((q[h + 1]! << 16) | (q[h + 2]! << 8) | q[h + 3]!);
    const n = (q[h + 4]! << 8) | q[h + 5]!;
    const rest = n - c.txqTaken;
    const take = rest < out.len ? rest : out.len;
    buf.set(q.subarray(h + TXQ_HEAD + c.txqTaken, h + TXQ_HEAD + c.txqTaken + take), 0);
    let f = flags & ~(LWSSS_FLAG_SOM | LWSSS_FLAG_EOM);
    if (c.txqTaken === 0) f |= flags & LWSSS_FLAG_SOM;
    c.txqTaken += take;
    if (c.txqTaken === n) {
      f |= flags & LWSSS_FLAG_EOM;
      c.txqStart = h + TXQ_HEAD + n;
      c.txqTaken = 0;
      if (c.txqStart === c.txqEnd) c.txqStart = c.txqEnd = 0;
    }
    out.len = take;
    out.flags = f;
    if (c.txqStart !== c.txqEnd && c.h) c.h.requestTx();
    if (c.readable > 0 || c.inEnd > 0) Promise.resolve().then(() => this.#pump(c)); // frames held for room
    return LWSSSSRET_OK;
  }

  #send(c: Client, frame: Uint8Array, start: number, end: number): void {
    if (c.closed || end < 0) return;
    if (c.out.free < end - start) {
      this.stats.closedSlow++;
      this.#drop(c, `client too slow: its output ring (${c.out.capacity}) is full`);
      return;
    }
    c.out.write(frame, start, end - start);
    this.stats.framesOut++;
    this.#flush(c);
  }

  #flush(c: Client): void {
    const socket = c.socket;
    if (!socket || c.writable <= 0 || c.out.available === 0) return;
    const sent = c.out.readTo((view: Uint8Array) => {
      socket.write(view);
      return view.length;
    }, c.writable);
    c.writable -= sent;
    this.stats.bytesOut += sent;
    if (c.rxPaused && c.h && c.out.available < rxFlowOffBelow(c.out.capacity)) {
      c.rxPaused = false; // below proxy_buflen_rxflow_off_below: read the onward connection again
      c.h.rxFlow(true);
    }
    if (this.mux && sent > 0 && (c.readable > 0 || c.inEnd > 0) && !this.#backedUp(c)) {
      Promise.resolve().then(() => this.#pump(c)); // tx held while the output ring was backed up
    }
  }

  /** Over a mux, a client's tx is taken only while its output ring is at most a quarter full: the channels share
   * one link, whose slowness must not be judged as this client's ("client too slow"); what an echo-like stream
   * sends back then fits the ring. (A TCP client has the kernel's buffers, and is left as it was.) */
  #backedUp(c: Client): boolean {
    return this.mux !== undefined && c.out.available > c.out.capacity >> 2;
  }
}

/** lws_ss_proxy_create(context, bind, port): a proxy for `options.context`'s streams on a TCP port (or, in the
 * simulator, a unix socket path). */
export function startProxy(options: ProxyOptions): Proxy {
  return new Proxy(options);
}
