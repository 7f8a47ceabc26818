// ministream/tunnel: many byte streams over one link, as I2P's ministreaming protocol lays them out (the wire format
// and its framing are in ministream/protocol). One Tunnel is one end of one link, in either role or both: it opens
// streams (open(): the client side, a SYN with the client id and key) and, when given a service, answers the peer's
// SYNs (the server side: each accepted stream is bridged to a fresh connection to that service, ACKed with a fresh
// server id once it is up, refused with a Close when it is not; ministream/bridge).
//
// What it owns: the link's two fixed rings (bytes read off the link, bytes waiting to go on it); the reader that
// takes frames out of the first (a data payload goes straight into its stream's rx ring; the other messages are
// dispatched whole); the writer that fills the second round robin, one message per stream per turn, so every
// stream gets its share of the link; the bounded stream table (maxStreams streams this end opened, maxAccepted the
// peer opened: fixed slots, and id maps never bigger than those); and the ids.
//
// The link is anything with the small byte-stream shape `Link` (read -> bytes given, write -> bytes taken, both
// non-blocking); its owner tells the tunnel when it may read (linkReadable), when it may write (linkWritable) and
// when it is gone (linkLost). ministream/link adapts an ECMA-419 TCP socket; a relay link needs the same three calls.
//
// What it survives: every bad message (unknown type, data for an unknown id, a SYN reusing a live client id, the
// id 00 00 00, a message too short for what its type carries, data past the window) closes only the stream it
// names, with a logged reason, and the framing keeps the link in step (a refused frame is skipped by its LENGTH).
// Nothing the peer sends makes the reader wait on one stream: flow control (ministream/stream) guarantees room.
import Ring from "ring";
import {
  C2S_SEND_DATA, C2S_SYN, C2S_CLOSE, C2S_WINDOW, S2C_SEND_DATA, S2C_ACK, S2C_CLOSE, S2C_WINDOW,
  FRAME_HEADER, FRAME_NEED_MORE, FRAME_BAD, CHAFF_FRAME, INITIAL_WINDOW, MAX_PAYLOAD, MAX_ID, RESERVED_ID,
  newHeader, decodeHeader, checkMessage, decodeAckPayload, decodeWindowPayload, encodeClose, isValidId,
  isClientToServer, isServerToClient, typeName, idText, readId,
} from "ministream/protocol";
import { MinistreamError, MS_BAD_ARGUMENT, MS_TABLE_FULL, MS_LINK_LOST, MS_PROTOCOL } from "ministream/errors";
import { MiniStream, type StreamHost, type StreamOptions } from "ministream/stream";
import { Bridge } from "ministream/bridge";
import type { Connection } from "ministream/connection";

/**
 * The byte stream a tunnel runs over. Both calls are non-blocking and may move fewer bytes than offered:
 * read copies up to into.byteLength received bytes into `into` and returns the count (0: none now);
 * write takes up to bytes.byteLength bytes to send and returns the count taken (0: no room now).
 * Either may throw when the link is broken; the tunnel then treats it as lost.
 */
export interface Link {
  read(into: Uint8Array): number;
  write(bytes: Uint8Array): number;
}

/**
 * The server side's service: called on each acceptable SYN with the client's key (a view valid only during the
 * call) and client id; returns a connection in the TLS client's shape (connecting or open), or undefined to refuse.
 */
export type Connector = (key: Uint8Array, clientId: number) => Connection | undefined;

export type TunnelOptions = {
  /** The public key this end sends in its SYNs (the seed: "created by the client"). Needed to open streams. */
  key?: Uint8Array;
  /** The service accepted streams are connected to. Without one every SYN is answered with a Close. */
  service?: Connector;
  /** Streams this end may have open at once (1-255). Default 8. */
  maxStreams?: number;
  /** Streams the peer may have open at once here (0-255). Default maxStreams with a service, else 0. */
  maxAccepted?: number;
  /** Each stream's rx ring: at least INITIAL_WINDOW (2048, the default); more is granted at open. */
  rxSize?: number;
  /** Each stream's tx ring (64 or more). Default 1024. */
  txSize?: number;
  /** Largest data payload this end sends in one message (64 - 65531). Default 1024. */
  maxPayload?: number;
  /** Largest SYN key accepted, and sent (1 - 4096). Default 512. */
  maxKey?: number;
  /** The link's rx and tx rings (each at least maxKey + 70). Default 4096. */
  linkRxSize?: number;
  linkTxSize?: number;
  /** SYN to ACK (a stream this end opens), and service connect (a stream the peer opens), in ms. Default 10000. */
  connectTimeout?: number;
  /** How long close() keeps sending what a stream's tx ring holds, in ms. Default 5000. */
  lingerTimeout?: number;
  /** Where fresh ids come from (tests pin them). Default: a counter from a random start, skipping 0 and live ids. */
  ids?: () => number;
  /** Log prefix. Default "ministream". */
  tag?: string;
};

/** Per-stream options of open(). */
export type OpenOptions = {
  key?: Uint8Array;
  rxSize?: number;
  txSize?: number;
  connectTimeout?: number;
};

/** Pending Closes to ids that have no stream (refused SYNs, late ACKs): entries of type + id. */
const ORPHANS = 16;
const ORPHAN_SIZE = 4;
/** Tries at a fresh id before giving up (the generator keeps returning live or reserved ids). */
const ID_TRIES = 64;

function integer(value: unknown, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new MinistreamError(MS_BAD_ARGUMENT, `${name} must be an integer from ${min} to ${max}, not ${String(value)}`);
  }
  return value;
}

function why(error: unknown): string {
  return error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error);
}

export class Tunnel implements StreamHost {
  readonly tag: string;
  readonly #key: Uint8Array | undefined;
  readonly #service: Connector | undefined;
  readonly #maxStreams: number;
  readonly #maxAccepted: number;
  readonly #rxSize: number;
  readonly #txSize: number;
  readonly #maxPayload: number;
  readonly #maxKey: number;
  readonly #connectTimeout: number;
  readonly #lingerTimeout: number;
  readonly #ids: () => number;
  #nextId: number;
  #link: Link | undefined;
  readonly #linkRx: Ring;
  readonly #linkTx: Ring;
  readonly #orphans = new Ring(ORPHANS * ORPHAN_SIZE);
  /** Fixed slots: [0, maxStreams) for streams this end opened, then maxAccepted for the peer's. */
  readonly #slots: (MiniStream | undefined)[];
  #opened = 0;
  #accepted = 0;
  /** Streams this end opened, by client id (the id of every S2C message). */
  readonly #clients = new Map<number, MiniStream>();
  /** Streams the peer opened, by server id (the id of every C2S message but SYN)... */
  readonly #servers = new Map<number, MiniStream>();
  /** ...and by the peer's client id (to see a SYN reuse a live one). */
  readonly #peerIds = new Map<number, MiniStream>();
  readonly #header = newHeader();
  readonly #head = new Uint8Array(FRAME_HEADER);
  readonly #scratch: Uint8Array;
  readonly #orphan = new Uint8Array(ORPHAN_SIZE);
  /** The stream the payload being read goes to, and how many of its bytes are still to come. */
  #target: MiniStream | undefined;
  #left = 0;
  /** Bytes of a refused frame still to skip. */
  #skip = 0;
  #cursor = 0;
  #servicing = false;
  #again = false;
  /** The last #fill left something owed that did not fit the tx ring. */
  #txBlocked = false;
  readonly #fromLink = (view: Uint8Array): number => this.#link!.read(view);
  readonly #toLink = (view: Uint8Array): number => this.#link!.write(view);
  readonly #toTarget = (view: Uint8Array): number => this.#target!.receive(view);

  constructor(options: TunnelOptions = {}) {
    if (options.key !== undefined && !(options.key instanceof Uint8Array)) {
      throw new MinistreamError(MS_BAD_ARGUMENT, "key must be a Uint8Array");
    }
    if (options.service !== undefined && typeof options.service !== "function") {
      throw new MinistreamError(MS_BAD_ARGUMENT, "service must be a function returning a connection");
    }
    if (options.ids !== undefined && typeof options.ids !== "function") {
      throw new MinistreamError(MS_BAD_ARGUMENT, "ids must be a function returning ids");
    }
    this.tag = options.tag ?? "ministream";
    this.#service = options.service;
    this.#maxStreams = integer(options.maxStreams, 8, "maxStreams", 1, 255);
    this.#maxAccepted = integer(options.maxAccepted, this.#service ? this.#maxStreams : 0, "maxAccepted", 0, 255);
    this.#rxSize = integer(options.rxSize, INITIAL_WINDOW, "rxSize", INITIAL_WINDOW, 1 << 20);
    this.#txSize = integer(options.txSize, 1024, "txSize", 64, 1 << 20);
    this.#maxPayload = integer(options.maxPayload, 1024, "maxPayload", 64, MAX_PAYLOAD);
    this.#maxKey = integer(options.maxKey, 512, "maxKey", 1, 4096);
    const linkMin = FRAME_HEADER + this.#maxKey + 64;
    this.#linkRx = new Ring(integer(options.linkRxSize, Math.max(4096, linkMin), "linkRxSize", linkMin, 1 << 20));
    this.#linkTx = new Ring(integer(options.linkTxSize, Math.max(4096, linkMin), "linkTxSize", linkMin, 1 << 20));
    this.#connectTimeout = integer(options.connectTimeout, 10000, "connectTimeout", 1, 3600000);
    this.#lingerTimeout = integer(options.lingerTimeout, 5000, "lingerTimeout", 0, 3600000);
    if (options.key !== undefined && (options.key.byteLength === 0 || options.key.byteLength > this.#maxKey)) {
      throw new MinistreamError(MS_BAD_ARGUMENT, `key must be 1 to maxKey (${this.#maxKey}) bytes`);
    }
    this.#key = options.key;
    this.#scratch = new Uint8Array(FRAME_HEADER + this.#maxKey);
    this.#nextId = 1 + Math.floor(Math.random() * MAX_ID);
    this.#ids = options.ids ?? (() => {
      const id = this.#nextId;
      this.#nextId = id >= MAX_ID ? 1 : id + 1;
      return id;
    });
    this.#slots = new Array(this.#maxStreams + this.#maxAccepted).fill(undefined);
  }

  /** Streams this end opened that hold a slot. */
  get openStreams(): number { return this.#opened; }
  /** Streams the peer opened that hold a slot (until their service connection is closed). */
  get acceptedStreams(): number { return this.#accepted; }
  /** Whether a link is attached. */
  get linked(): boolean { return this.#link !== undefined; }

  // ---- the link's owner ----

  /** Runs over `link` from now on. A link already attached is lost first (its streams fail with MS_LINK_LOST). */
  attach(link: Link): void {
    if (this.#link) this.linkLost("replaced by a new link");
    this.#link = link;
    this.#run();
  }

  /** The link may have bytes to read. */
  linkReadable(): void {
    if (this.#link) this.#run();
  }

  /** The link may take bytes. */
  linkWritable(): void {
    if (this.#link) this.#run();
  }

  /** The link is gone: every stream fails with MS_LINK_LOST; a new link can be attached. */
  linkLost(reason = "lost"): void {
    if (!this.#link) return;
    this.#link = undefined;
    trace(`${this.tag}: link ${reason}\n`);
    this.#linkRx.clear();
    this.#linkTx.clear();
    this.#orphans.clear();
    this.#target = undefined;
    this.#left = 0;
    this.#skip = 0;
    const slots = this.#slots;
    for (let i = 0; i < slots.length; i++) slots[i]?.linkLost(reason);
  }

  // ---- the client side ----

  /**
   * Opens a stream: sends a SYN with a fresh client id and the key, and returns the stream at once, "connecting"
   * until the ACK (or "failed": MS_REFUSED when the server answers Close, MS_TIMEOUT without an answer). Bytes
   * written before the ACK are sent after it. Throws MS_LINK_LOST without a link, MS_TABLE_FULL at maxStreams,
   * MS_BAD_ARGUMENT for a bad option.
   */
  open(options: OpenOptions = {}): MiniStream {
    const key = options.key ?? this.#key;
    if (!(key instanceof Uint8Array) || key.byteLength === 0 || key.byteLength > this.#maxKey) {
      throw new MinistreamError(MS_BAD_ARGUMENT, `a SYN needs a key of 1 to maxKey (${this.#maxKey}) bytes`);
    }
    const streamOptions: StreamOptions = {
      key,
      rxSize: integer(options.rxSize, this.#rxSize, "rxSize", INITIAL_WINDOW, 1 << 20),
      txSize: integer(options.txSize, this.#txSize, "txSize", 64, 1 << 20),
      connectTimeout: integer(options.connectTimeout, this.#connectTimeout, "connectTimeout", 1, 3600000),
      lingerTimeout: this.#lingerTimeout,
    };
    if (!this.#link) throw new MinistreamError(MS_LINK_LOST, "no link attached");
    if (this.#opened >= this.#maxStreams) {
      throw new MinistreamError(MS_TABLE_FULL, `${this.#opened} streams open, the most this tunnel allows (maxStreams)`);
    }
    const id = this.#freshId(this.#clients);
    if (id === RESERVED_ID) throw new MinistreamError(MS_BAD_ARGUMENT, "the id generator gave no fresh id");
    const stream = new MiniStream(this, "client", id, streamOptions);
    this.#place(stream, 0, this.#maxStreams);
    this.#opened++;
    this.#clients.set(id, stream);
    this.#run();
    return stream;
  }

  /** Closes every stream (each sends what it holds, then its Close). The link stays attached. */
  close(): void {
    const slots = this.#slots;
    for (let i = 0; i < slots.length; i++) slots[i]?.close();
  }

  // ---- the streams' side (StreamHost) ----

  /** A stream owes the link something, or room opened: run the link. */
  kick(): void {
    if (this.#link) this.#run();
  }

  /** A stream is done with its ids; its slot goes too unless its bridge still holds it. */
  release(stream: MiniStream): void {
    if (stream.role === "client") {
      if (this.#clients.get(stream.clientId) === stream) this.#clients.delete(stream.clientId);
    } else {
      if (this.#servers.get(stream.serverId) === stream) this.#servers.delete(stream.serverId);
      if (this.#peerIds.get(stream.clientId) === stream) this.#peerIds.delete(stream.clientId);
    }
    if (stream.held || stream.slot < 0 || this.#slots[stream.slot] !== stream) return;
    this.#slots[stream.slot] = undefined;
    stream.slot = -1;
    if (stream.role === "client") this.#opened--;
    else this.#accepted--;
  }

  // ---- the link: read, parse, dispatch, write ----

  /** Moves bytes until nothing moves: link -> rx ring -> streams; streams -> tx ring -> link. Never throws. */
  #run(): void {
    if (this.#servicing) {
      this.#again = true;
      return;
    }
    this.#servicing = true;
    try {
      for (;;) {
        this.#again = false;
        this.#pull();
        const rxFull = this.#linkRx.free === 0;
        const parsed = this.#parse();
        this.#fill();
        const pushed = this.#push();
        if (!this.#link) break;
        // Another pass only when it can move something: bytes the full rx ring left on the link, messages that
        // did not fit the tx ring, or a call that came in (from the link or a stream) while this one ran.
        if (!this.#again && !(rxFull && parsed > 0) && !(this.#txBlocked && pushed > 0)) break;
      }
    } catch (error) {
      // The link threw (it is broken), or a bug: either way this link's streams cannot go on.
      this.#servicing = false;
      this.linkLost(`failed: ${why(error)}`);
    } finally {
      this.#servicing = false;
    }
  }

  #pull(): number {
    const rx = this.#linkRx;
    let total = 0;
    while (this.#link && rx.free > 0) {
      const n = rx.writeFrom(this.#fromLink);
      if (n === 0) break;
      total += n;
    }
    return total;
  }

  #push(): number {
    const tx = this.#linkTx;
    let total = 0;
    while (this.#link && tx.available > 0) {
      const n = tx.readTo(this.#toLink);
      if (n === 0) break;
      total += n;
    }
    return total;
  }

  /** Takes whole frames (and data payloads as they come) out of the rx ring; returns the bytes consumed. */
  #parse(): number {
    const rx = this.#linkRx;
    const h = this.#header;
    let total = 0;
    while (this.#link && rx.available > 0) {
      if (this.#skip > 0) {
        const n = rx.skip(this.#skip < rx.available ? this.#skip : rx.available);
        this.#skip -= n;
        total += n;
        continue;
      }
      const target = this.#target;
      if (target !== undefined) {
        const want = this.#left < rx.available ? this.#left : rx.available;
        const n = rx.readTo(this.#toTarget, want);
        this.#left -= n;
        total += n;
        if (this.#left === 0 || n < want) {
          this.#target = undefined;
          target.received();
          if (this.#left > 0) {
            // cannot happen while checkData holds; if it does, that stream goes, the link stays in step
            this.#skip = this.#left;
            this.#left = 0;
            target.fail(MS_PROTOCOL, "its rx ring refused bytes the window allowed", true);
          }
        }
        continue;
      }
      const got = rx.peek(this.#head);
      const size = decodeHeader(this.#head, 0, got, h);
      if (size === FRAME_NEED_MORE) break;
      if (size === FRAME_BAD) {
        trace(`${this.tag}: bad frame skipped (${h.frame} bytes): ${h.reason}\n`);
        this.#skip = h.frame;
        continue;
      }
      if (size === CHAFF_FRAME) {
        total += rx.skip(CHAFF_FRAME);
        continue;
      }
      const type = h.type;
      if (type === C2S_SEND_DATA || type === S2C_SEND_DATA) {
        total += rx.skip(FRAME_HEADER);
        this.#data(type, h.id, h.payload);
        continue;
      }
      const bad = checkMessage(type, h.id, h.payload, this.#maxKey);
      if (bad) {
        this.#refused(type, h.id, h.payload, bad);
        this.#skip = h.frame;
        continue;
      }
      if (rx.available < h.frame) break; // the rest of a short message is on its way (it fits: checked above)
      rx.skip(FRAME_HEADER);
      rx.read(this.#scratch, 0, h.payload);
      total += h.frame;
      this.#message(type, h.id, h.payload);
    }
    return total;
  }

  /** A data message's header: point the reader at its stream, or skip its payload. */
  #data(type: number, id: number, payload: number): void {
    if (id === RESERVED_ID) {
      trace(`${this.tag}: ${typeName(type)} with the reserved id 00 00 00 dropped (${payload} bytes)\n`);
      this.#skip = payload;
      return;
    }
    const stream = type === C2S_SEND_DATA ? this.#servers.get(id) : this.#clients.get(id);
    if (stream === undefined) {
      // The peer's end cannot be named back: a Close carries the other end's id, which is unknown here.
      trace(`${this.tag}: ${typeName(type)} for unknown id ${idText(id)} dropped (${payload} bytes)\n`);
      this.#skip = payload;
      return;
    }
    const verdict = stream.checkData(payload);
    if (verdict === "drop") {
      this.#skip = payload;
    } else if (verdict !== "") {
      this.#skip = payload;
      stream.fail(MS_PROTOCOL, verdict, true);
    } else if (payload > 0) {
      this.#target = stream;
      this.#left = payload;
    }
  }

  /** A message checkMessage refused: close what it names (when anything), log why. */
  #refused(type: number, id: number, payload: number, reason: string): void {
    trace(`${this.tag}: ${reason}; ${payload}-byte payload skipped\n`);
    if (id === RESERVED_ID) return;
    if (type === C2S_SYN) {
      // A bad SYN (no key, a key too long) is refused like a SYN for a service that is not there.
      const live = this.#peerIds.get(id);
      if (live) live.fail(MS_PROTOCOL, `the client reused its live id ${idText(id)} in a bad SYN`, false);
      this.#orphanClose(S2C_CLOSE, id);
      return;
    }
    // A message with a bad payload, or of a type nobody knows, is laid at the door of the stream its id names in
    // the table its direction implies (I2P's manager drops the id in such a case); outside both ranges, nothing.
    let stream: MiniStream | undefined;
    if (isClientToServer(type)) stream = this.#servers.get(id);
    else if (isServerToClient(type)) stream = this.#clients.get(id);
    if (!stream) return;
    if (type === C2S_CLOSE || type === S2C_CLOSE) stream.peerClose(); // a Close with a payload still closes
    else stream.fail(MS_PROTOCOL, reason, true);
  }

  /** A whole message (payload in #scratch) that checkMessage allowed. */
  #message(type: number, id: number, payload: number): void {
    switch (type) {
      case C2S_SYN:
        this.#syn(id, this.#scratch.subarray(0, payload));
        return;
      case S2C_ACK:
        this.#ack(id, decodeAckPayload(this.#scratch, 0));
        return;
      case C2S_CLOSE:
      case S2C_CLOSE: {
        const stream = type === C2S_CLOSE ? this.#servers.get(id) : this.#clients.get(id);
        // Never answered: a Close for a stream already gone (ours crossed it) needs nothing more.
        if (stream) stream.peerClose();
        else trace(`${this.tag}: ${typeName(type)} for unknown id ${idText(id)} ignored\n`);
        return;
      }
      case C2S_WINDOW:
      case S2C_WINDOW: {
        const stream = type === C2S_WINDOW ? this.#servers.get(id) : this.#clients.get(id);
        if (!stream) {
          trace(`${this.tag}: ${typeName(type)} for unknown id ${idText(id)} ignored\n`);
          return;
        }
        const bad = stream.grant(decodeWindowPayload(this.#scratch, 0));
        if (bad) stream.fail(MS_PROTOCOL, bad, true);
        return;
      }
      default:
        this.#refused(type, id, payload, `unknown ${typeName(type)}`);
    }
  }

  /** SYN: a stream the peer opens. */
  #syn(clientId: number, key: Uint8Array): void {
    const live = this.#peerIds.get(clientId);
    if (live) {
      // The client lost track of its stream: the old one goes, the new one is refused; one Close names both.
      live.fail(MS_PROTOCOL, `the client reused its live id ${idText(clientId)} in a new SYN`, false);
      trace(`${this.tag}: SYN ${idText(clientId)} refused: the id names a live stream (closed)\n`);
      this.#orphanClose(S2C_CLOSE, clientId);
      return;
    }
    if (!this.#service) {
      trace(`${this.tag}: SYN ${idText(clientId)} refused: no service on this tunnel\n`);
      this.#orphanClose(S2C_CLOSE, clientId);
      return;
    }
    if (this.#accepted >= this.#maxAccepted) {
      trace(`${this.tag}: SYN ${idText(clientId)} refused: ${this.#accepted} accepted streams, the most allowed (maxAccepted)\n`);
      this.#orphanClose(S2C_CLOSE, clientId);
      return;
    }
    const serverId = this.#freshId(this.#servers);
    if (serverId === RESERVED_ID) {
      trace(`${this.tag}: SYN ${idText(clientId)} refused: the id generator gave no fresh server id\n`);
      this.#orphanClose(S2C_CLOSE, clientId);
      return;
    }
    const stream = new MiniStream(this, "server", serverId, {
      rxSize: this.#rxSize,
      txSize: this.#txSize,
      connectTimeout: this.#connectTimeout,
      lingerTimeout: this.#lingerTimeout,
    });
    stream.setRemote(clientId);
    stream.held = true;
    this.#place(stream, this.#maxStreams, this.#maxAccepted);
    this.#accepted++;
    this.#servers.set(serverId, stream);
    this.#peerIds.set(clientId, stream);
    let connection: Connection | undefined;
    try {
      connection = this.#service(key, clientId);
    } catch (error) {
      trace(`${this.tag}: the service threw for SYN ${idText(clientId)}: ${why(error)}\n`);
    }
    new Bridge(stream, connection, this, this.#connectTimeout, this.#lingerTimeout);
  }

  /** ACK: the server's answer to a SYN of ours. */
  #ack(clientId: number, serverId: number): void {
    const stream = this.#clients.get(clientId);
    if (!stream) {
      // A SYN we gave up on (closed, timed out): tell the server to let its end go.
      trace(`${this.tag}: S2C_ACK for unknown id ${idText(clientId)}${isValidId(serverId) ? ": closing server id " + idText(serverId) : ""}\n`);
      if (isValidId(serverId)) this.#orphanClose(C2S_CLOSE, serverId);
      return;
    }
    if (serverId === RESERVED_ID) {
      stream.fail(MS_PROTOCOL, "S2C_ACK with the reserved server id 00 00 00", false);
      return;
    }
    if (stream.state !== "connecting") {
      stream.fail(MS_PROTOCOL, `a second S2C_ACK (server id ${idText(serverId)})`, true);
      if (serverId !== stream.serverId) this.#orphanClose(C2S_CLOSE, serverId);
      return;
    }
    stream.acked(serverId);
  }

  /** Queues a Close for an id with no stream; when too many are queued it is dropped (the peer's SYN times out). */
  #orphanClose(type: number, id: number): void {
    const o = this.#orphan;
    if (this.#orphans.free < ORPHAN_SIZE) {
      trace(`${this.tag}: ${typeName(type)} to ${idText(id)} dropped: ${ORPHANS} already queued\n`);
      return;
    }
    o[0] = type;
    o[1] = id >>> 16;
    o[2] = (id >>> 8) & 0xff;
    o[3] = id & 0xff;
    this.#orphans.write(o);
    this.#again = true;
  }

  /** Fills the tx ring: Closes for orphan ids first, then one message per stream per turn, round robin. */
  #fill(): number {
    if (!this.#link) return 0;
    const tx = this.#linkTx;
    const scratch = this.#scratch;
    let written = 0;
    const o = this.#orphan;
    while (this.#orphans.available >= ORPHAN_SIZE && tx.free >= FRAME_HEADER) {
      this.#orphans.read(o);
      tx.write(scratch, 0, encodeClose(scratch, 0, o[0]!, readId(o, 1)));
      written++;
    }
    const slots = this.#slots;
    const count = slots.length;
    const maxPayload = this.#maxPayload;
    let i = this.#cursor;
    let idle = 0;
    let blocked = this.#orphans.available > 0;
    while (idle < count) {
      const stream = slots[i];
      i = i + 1 === count ? 0 : i + 1;
      if (stream !== undefined && stream.wantsToSend()) {
        if (stream.emit(tx, scratch, maxPayload)) {
          written++;
          idle = 0;
          continue;
        }
        blocked = true; // it owes something that does not fit yet
      }
      idle++;
    }
    this.#cursor = i;
    this.#txBlocked = blocked;
    return written;
  }

  #place(stream: MiniStream, from: number, count: number): void {
    const slots = this.#slots;
    for (let i = from; i < from + count; i++) {
      if (slots[i] === undefined) {
        slots[i] = stream;
        stream.slot = i;
        return;
      }
    }
    throw new Error("ministream: no free slot although the count allowed one");
  }

  /** A fresh id: valid and not a key of `live`; RESERVED_ID when the generator gives none. */
  #freshId(live: Map<number, MiniStream>): number {
    for (let tries = 0; tries < ID_TRIES; tries++) {
      const id = this.#ids();
      if (isValidId(id) && !live.has(id)) return id;
    }
    return RESERVED_ID;
  }
}
