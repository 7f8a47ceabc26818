// relay/client: the device side of a Tox TCP relay (c-toxcore's TCP server, tox-bootstrapd, or tools/relay).
// connect(host, port, options) returns a RelayClient at once; name lookup, TCP connect, the handshake and the first
// ping go on in the background and their failures surface as a RelayError (code + message, relay/errors). Once
// open, link(publicKey) asks the relay for a link to that key and returns a RelayLink (relay/link): a byte stream
// with fixed rings that comes online when the peer asks for us too. wait(timeoutMs) is the only call that waits.
//
// Plain TCP (embedded:io/socket/tcp): the relay protocol carries its own encryption (relay/crypto). Bytes move:
//   socket -> rx ring (encrypted, fixed) -> frame opened -> link's rx ring      (a full link ring holds the packet and
//                                                                              stops reading the socket: backpressure)
//   link's tx ring -> packet [id][<= 2031 bytes] -> sealed -> tx ring -> socket  (control packets first, then links
//                                                                              round robin, never past onWritable)
// It survives: frames split or merged across reads, a relay that pings (answered), a relay that stops answering
// (our own pings, pingTimeout), a relay that closes or resets, bad frames (RELAY_PROTOCOL, the socket is closed),
// a peer that disconnects (that link closes, the others go on), and a board's TCP rules (reads never past what
// onReadable reported, writes never past onWritable).
//
// Client states, judged by CLIENT_TRANSITIONS (every change logged `relay: host:port A -> B`):
//   resolving -> connecting (TCP) -> handshake (hello sent) -> confirming (first ping sent: the relay counts a
//   client as connected only after its first valid frame) -> open (pong received); closed / failed from any.
import Ring, { FrameRing } from "ring";
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import { resolveHost, IPV4, type DnsProvider } from "tcp/resolve";
import { ClientHandshake, Session, publicKeyOf, fromHex, toHex, type Random } from "relay/crypto";
import {
  CRYPTO_PUBLIC_KEY_SIZE, MAX_LINK_DATA, MAX_PACKET_SIZE, MAX_PLAIN_SIZE, NUM_CLIENT_CONNECTIONS, NUM_RESERVED_PORTS,
  TCP_MAX_OOB_DATA_LENGTH, TCP_PACKET_CONNECTION_NOTIFICATION, TCP_PACKET_DISCONNECT_NOTIFICATION, TCP_PACKET_OOB_RECV,
  TCP_PACKET_OOB_SEND, TCP_PACKET_PING, TCP_PACKET_PONG, TCP_PACKET_ROUTING_RESPONSE, TCP_SERVER_HANDSHAKE_SIZE,
} from "relay/constants";
import {
  BAD_FRAME, NEED_MORE, dataPacket, disconnectNotification, frameLength, frameSize, oobPacket, pingPacket,
  relayPacketProblem, routingRequest,
} from "relay/packet";
import { RelayLink, Waiters, type LinkOwner } from "relay/link";
import {
  RelayError, RELAY_BAD_ARGUMENT, RELAY_CLOSED, RELAY_CONNECT_FAILED, RELAY_DNS, RELAY_HANDSHAKE, RELAY_LINK_CLOSED,
  RELAY_NO_LINK, RELAY_PROTOCOL, RELAY_REFUSED, RELAY_TIMEOUT,
} from "relay/errors";

export { RelayError } from "relay/errors";
export { RelayLink } from "relay/link";

/** Host providers, passed in (defaults: the SDK modules). `any`: these are the SDK's own classes. */
export type Providers = {
  dns?: DnsProvider;
  socket?: { io: new (options: any) => any };
};

export type ConnectOptions = Providers & {
  /** The relay's long-term public key: 32 bytes or 64 hex digits. */
  relayKey: Uint8Array | string;
  /** Our long-term secret key (32 bytes); the public key the relay and peers know us by is derived from it. */
  secretKey: Uint8Array;
  /** Fills a Uint8Array with random bytes (on a board: the SDK's `rng` module, seeded by the hardware RNG). */
  random: Random;
  /** Lookup + connect + handshake + first pong within this (ms). Default 10000. */
  connectTimeout?: number;
  /** Ping the relay this often (ms; 0 = never). Default 30000, as c-toxcore's TCP client. */
  pingInterval?: number;
  /** A ping not answered within this (ms) fails the connection with RELAY_TIMEOUT. Default 10000. */
  pingTimeout?: number;
  /** A routing request not answered within this (ms) closes the link with RELAY_TIMEOUT. Default 10000. */
  routeTimeout?: number;
  /** Links open at once (1-240); each has its own rings. Default 4. */
  maxLinks?: number;
  /** Ring sizes of each link. Defaults 4096 / 4096 (at least 64). */
  linkRxSize?: number;
  linkTxSize?: number;
  /** Ring sizes of the connection's encrypted bytes. Defaults 4096 / 4096 (at least one largest frame, 2050). */
  rxSize?: number;
  txSize?: number;
  /** Bytes kept for received OOB packets (each takes 2 + 32 + data). Default 2200. */
  oobSize?: number;
  /** Log prefix. Default "relay". */
  tag?: string;
};

export type ClientState = "resolving" | "connecting" | "handshake" | "confirming" | "open" | "closed" | "failed";
export type ClientWaitResult = "state" | "oob" | "timeout";

export const CLIENT_TRANSITIONS: Record<ClientState, readonly ClientState[]> = {
  resolving: ["connecting", "failed", "closed"],
  connecting: ["handshake", "failed", "closed"],
  handshake: ["confirming", "failed", "closed"],
  confirming: ["open", "failed", "closed"],
  open: ["failed", "closed"],
  closed: [],
  failed: [],
};

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/;
const LARGEST_FRAME = frameSize(MAX_PLAIN_SIZE);
/** How long close() lets queued disconnect notifications drain before the socket is closed (ms). */
const LINGER = 1000;

type TimerID = ReturnType<typeof Timer.set>;

function integer(value: unknown, fallback: number, name: string, min: number, max = 0x7fffffff): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RelayError(RELAY_BAD_ARGUMENT, `${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function keyBytes(value: unknown, name: string): Uint8Array {
  if (typeof value === "string") {
    const bytes = fromHex(value, CRYPTO_PUBLIC_KEY_SIZE);
    if (bytes) return bytes;
  } else if (value instanceof Uint8Array && value.byteLength === CRYPTO_PUBLIC_KEY_SIZE) {
    return value.slice();
  }
  throw new RelayError(RELAY_BAD_ARGUMENT, `${name} must be 32 bytes or 64 hex digits`);
}

function sameKey(a: Uint8Array, b: Uint8Array, at = 0): boolean {
  for (let i = 0; i < CRYPTO_PUBLIC_KEY_SIZE; i++) if (a[i] !== b[at + i]) return false;
  return true;
}

export class RelayClient implements LinkOwner {
  readonly host: string;
  readonly port: number;
  /** Our long-term public key (what peers route to). */
  readonly publicKey: Uint8Array;
  readonly #options: ConnectOptions;
  readonly #relayKey: Uint8Array;
  readonly #secretKey: Uint8Array;
  readonly #random: Random;
  readonly #tag: string;
  #state: ClientState = "resolving";
  #error: RelayError | undefined;
  #socket: any; // the SDK's TCP
  #socketReadable = 0;
  #socketWritable = 0;
  #handshake: ClientHandshake | undefined;
  #session: Session | undefined;
  // fixed buffers, allocated here once
  readonly #rx: Ring;
  readonly #tx: Ring;
  readonly #control = new FrameRing(4096, MAX_PLAIN_SIZE);
  readonly #oob: FrameRing;
  readonly #frame = new Uint8Array(MAX_PACKET_SIZE);
  readonly #plain = new Uint8Array(MAX_PLAIN_SIZE);
  readonly #small = new Uint8Array(64);
  readonly #pingId = new Uint8Array(8);
  #pingOut = false;
  // links: the live ones in order (round robin for sending), and by connection id
  readonly #links: RelayLink[] = [];
  readonly #byId: (RelayLink | undefined)[] = [];
  readonly #routeTimers = new Map<RelayLink, TimerID>();
  #next = 0;
  /** A received data packet whose link had no room yet (a view into the session's scratch: nothing is read past it). */
  #held: { link: RelayLink; data: Uint8Array } | undefined;
  #pumping = false;
  #connectTimer: TimerID | undefined;
  #pingTimer: TimerID | undefined;
  #pongTimer: TimerID | undefined;
  #lingerTimer: TimerID | undefined;
  #waiters = new Waiters<ClientWaitResult>();
  readonly #maxLinks: number;
  readonly #linkRx: number;
  readonly #linkTx: number;

  constructor(host: string, port: number, options: ConnectOptions) {
    if (typeof host !== "string" || host.length === 0 || host.length > 253 || !(IPV4.test(host) || HOSTNAME.test(host))) {
      throw new RelayError(RELAY_BAD_ARGUMENT, `bad host name: ${JSON.stringify(host)}`);
    }
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RelayError(RELAY_BAD_ARGUMENT, `port must be 1-65535, not ${String(port)}`);
    }
    if (!options || typeof options !== "object") throw new RelayError(RELAY_BAD_ARGUMENT, "options are required (relayKey, secretKey, random)");
    if (typeof options.random !== "function") throw new RelayError(RELAY_BAD_ARGUMENT, "random must be a function filling a Uint8Array");
    if (!(options.secretKey instanceof Uint8Array) || options.secretKey.byteLength !== 32) {
      throw new RelayError(RELAY_BAD_ARGUMENT, "secretKey must be 32 bytes");
    }
    this.host = host;
    this.port = port;
    this.#options = options;
    this.#tag = typeof options.tag === "string" ? options.tag : "relay";
    this.#relayKey = keyBytes(options.relayKey, "relayKey");
    this.#secretKey = options.secretKey.slice();
    this.#random = options.random;
    this.publicKey = publicKeyOf(this.#secretKey);
    this.#maxLinks = integer(options.maxLinks, 4, "maxLinks", 1, NUM_CLIENT_CONNECTIONS);
    this.#linkRx = integer(options.linkRxSize, 4096, "linkRxSize", 64);
    this.#linkTx = integer(options.linkTxSize, 4096, "linkTxSize", 64);
    this.#rx = new Ring(integer(options.rxSize, 4096, "rxSize", LARGEST_FRAME));
    this.#tx = new Ring(integer(options.txSize, 4096, "txSize", LARGEST_FRAME));
    this.#oob = new FrameRing(integer(options.oobSize, 2200, "oobSize", 2 + CRYPTO_PUBLIC_KEY_SIZE + TCP_MAX_OOB_DATA_LENGTH), MAX_PLAIN_SIZE);
    const connectTimeout = integer(options.connectTimeout, 10000, "connectTimeout", 1);
    integer(options.pingInterval, 30000, "pingInterval", 0);
    integer(options.pingTimeout, 10000, "pingTimeout", 1);
    integer(options.routeTimeout, 10000, "routeTimeout", 1);
    for (let i = 0; i < NUM_CLIENT_CONNECTIONS; i++) this.#byId.push(undefined);
    this.#connectTimer = Timer.set(() => {
      this.#connectTimer = undefined;
      this.#fail(new RelayError(RELAY_TIMEOUT, `no relay connection to ${host}:${port} within ${connectTimeout} ms (state ${this.#state})`));
    }, connectTimeout);
    resolveHost(host, options.dns, (address) => {
      if (this.#state === "resolving") this.#open(address);
    }, (why) => {
      if (this.#state === "resolving") this.#fail(new RelayError(RELAY_DNS, why));
    });
  }

  get state(): ClientState { return this.#state; }
  get error(): RelayError | undefined { return this.#error; }
  isOpen(): boolean { return this.#state === "open"; }
  /** Links not closed. */
  get links(): number { return this.#links.length; }

  /**
   * Asks the relay for a link to `publicKey` (32 bytes or hex) and returns it at once, in state "routing". It comes
   * online when the peer asks for us too; a refusal (our own key, or the relay has no free slot for us) closes it
   * with RELAY_REFUSED. Throws RELAY_CLOSED when not open, RELAY_NO_LINK when maxLinks are in use,
   * RELAY_BAD_ARGUMENT for a bad key or a key that already has a live link.
   */
  link(publicKey: Uint8Array | string): RelayLink {
    const key = keyBytes(publicKey, "publicKey");
    this.#throwUnlessOpen();
    for (const l of this.#links) {
      if (sameKey(l.publicKey, key)) throw new RelayError(RELAY_BAD_ARGUMENT, `a link to ${toHex(key).slice(0, 16)}... is already ${l.state}`);
    }
    if (this.#links.length >= this.#maxLinks) {
      throw new RelayError(RELAY_NO_LINK, `all ${this.#maxLinks} links are in use (maxLinks)`);
    }
    if (!this.#queue(this.#small.subarray(0, routingRequest(this.#small, key)))) {
      throw new RelayError(RELAY_NO_LINK, "the control queue is full; wait and try again");
    }
    const link = new RelayLink(this, key, this.#linkRx, this.#linkTx, toHex(key).slice(0, 16));
    this.#links.push(link);
    const routeTimeout = this.#options.routeTimeout ?? 10000;
    this.#routeTimers.set(link, Timer.set(() => {
      this.#routeTimers.delete(link);
      if (link.state === "routing") this.#drop(link, new RelayError(RELAY_TIMEOUT, `no routing response within ${routeTimeout} ms`));
    }, routeTimeout));
    trace(`${this.#tag}: route to ${toHex(key).slice(0, 16)}...\n`);
    this.pump();
    return link;
  }

  /** Sends an OOB packet to a key connected to the same relay (1-1024 bytes). False when the control queue is full. */
  sendOOB(publicKey: Uint8Array | string, data: Uint8Array, offset = 0, length = data.byteLength - offset): boolean {
    const key = keyBytes(publicKey, "publicKey");
    if (!(data instanceof Uint8Array) || length < 1 || length > TCP_MAX_OOB_DATA_LENGTH || offset < 0 || offset + length > data.byteLength) {
      throw new RelayError(RELAY_BAD_ARGUMENT, `OOB data is 1 to ${TCP_MAX_OOB_DATA_LENGTH} bytes`);
    }
    this.#throwUnlessOpen();
    const n = oobPacket(this.#plain, TCP_PACKET_OOB_SEND, key, data, offset, length);
    const ok = this.#queue(this.#plain.subarray(0, n));
    this.pump();
    return ok;
  }

  /** Copies the oldest received OOB packet, [sender key 32][data], into `into`; returns its length, -1 when none. */
  readOOB(into: Uint8Array): number {
    if (!(into instanceof Uint8Array)) throw new RelayError(RELAY_BAD_ARGUMENT, "readOOB wants a Uint8Array");
    const next = this.#oob.nextLength;
    if (next < 0) return -1;
    if (into.byteLength < next) throw new RelayError(RELAY_BAD_ARGUMENT, `readOOB needs ${next} bytes of room`);
    return this.#oob.pop(into);
  }

  /** Resolves on a state change ("state"), a received OOB packet ("oob"), or "timeout". */
  wait(timeoutMs: number): Promise<ClientWaitResult> {
    if (this.#oob.count > 0) return Promise.resolve("oob");
    if (this.#state === "closed" || this.#state === "failed") return Promise.resolve("state");
    return this.#waiters.add(timeoutMs, "any", "timeout");
  }

  /**
   * Closes every link (the relay is told: a disconnect notification each, as an abrupt close is noticed by
   * tox-bootstrapd only at its next ping) and then the connection. Idempotent.
   */
  close(): void {
    if (this.#state === "closed" || this.#state === "failed") return;
    const wasOpen = this.#state === "open";
    for (const link of this.#links.slice()) this.#drop(link, undefined, wasOpen);
    this.#clearTimers();
    this.#transition("closed");
    if (wasOpen && this.#socket && this.#tx.available + this.#control.count > 0) {
      // linger: #send seals what is queued, and closes the socket once it is all written (or LINGER passed)
      this.#lingerTimer = Timer.set(() => { this.#lingerTimer = undefined; this.#closeSocket(); }, LINGER);
      this.#pump();
    } else {
      this.#closeSocket();
    }
  }

  // ---- LinkOwner ----

  /** Moves bytes both ways as far as the rings and the socket allow. */
  pump(): void {
    this.#pump();
  }

  release(link: RelayLink): void {
    this.#drop(link, undefined, true);
    this.#pump();
  }

  // ---- connection ----

  #open(address: string) {
    this.#transition("connecting");
    const provider = this.#options.socket ?? { io: TCP };
    try {
      this.#socket = new provider.io({
        address,
        port: this.port,
        nodelay: true,
        onReadable: (count: number) => this.#onReadable(count),
        onWritable: (count: number) => this.#onWritable(count),
        onError: () => this.#onError(),
      });
    } catch (error) {
      this.#fail(new RelayError(RELAY_CONNECT_FAILED, `cannot open a socket to ${address}:${this.port}: ${String(error)}`));
    }
  }

  #onWritable(count: number) {
    this.#socketWritable = count;
    if (this.#state === "connecting") {
      // TCP is up: send the hello (two X25519 operations happen here)
      try {
        this.#handshake = new ClientHandshake(this.publicKey, this.#secretKey, this.#relayKey, this.#random);
      } catch (error) {
        this.#fail(new RelayError(RELAY_BAD_ARGUMENT, String(error)));
        return;
      }
      this.#tx.write(this.#handshake.hello);
      this.#transition("handshake");
    }
    this.#pump();
  }

  #onReadable(count: number) {
    this.#socketReadable = count;
    this.#pump();
  }

  #onError() {
    const state = this.#state;
    if (state === "closed" || state === "failed") {
      this.#closeSocket();
      return;
    }
    if (state === "open") this.#fail(new RelayError(RELAY_CLOSED, `the relay ${this.host}:${this.port} closed or reset the connection`));
    else if (state === "handshake") {
      this.#fail(new RelayError(RELAY_CONNECT_FAILED,
        `the relay ${this.host}:${this.port} closed the connection without a handshake reply (a relay does that when relayKey is not its key)`));
    } else this.#fail(new RelayError(RELAY_CONNECT_FAILED, `connection to ${this.host}:${this.port} failed (refused, unreachable or closed)`));
  }

  // ---- the pump: socket -> rx ring -> frames -> links; links/control -> frames -> tx ring -> socket ----

  #pump() {
    if (this.#pumping) return; // re-entered from a link callback: the loop below picks it up
    this.#pumping = true;
    try {
      // every round moves bytes or ends: the rings are finite and nothing refills them inside the loop
      while (this.#receive() + this.#send() > 0);
    } finally {
      this.#pumping = false;
    }
  }

  /** Reads the socket into the rx ring and handles what is complete; returns how much happened. */
  #receive(): number {
    const socket = this.#socket;
    if (!socket) return 0;
    let moved = 0;
    if (this.#held) {
      if (!this.#held.link.deliver(this.#held.data)) return 0; // still no room: read nothing more
      this.#held = undefined;
      moved++;
    }
    while (this.#socketReadable > 0 && this.#rx.free > 0) {
      const n = this.#rx.writeFrom((view) => (socket.read(view), view.byteLength), this.#socketReadable);
      if (n <= 0) break;
      this.#socketReadable -= n;
      moved += n;
    }
    const state = this.#state;
    if (state === "handshake") {
      if (this.#rx.available < TCP_SERVER_HANDSHAKE_SIZE) return moved;
      const reply = this.#frame.subarray(0, TCP_SERVER_HANDSHAKE_SIZE);
      this.#rx.read(reply);
      const session = this.#handshake!.finish(reply);
      this.#handshake = undefined;
      if (!session) {
        this.#fail(new RelayError(RELAY_HANDSHAKE, `the handshake reply from ${this.host}:${this.port} does not open with relayKey`));
        return 0;
      }
      this.#session = session;
      this.#transition("confirming");
      this.#ping(); // the first frame: the relay confirms us on it
      return moved + 1;
    }
    if (state !== "confirming" && state !== "open") return moved;
    const session = this.#session!;
    const header = this.#small;
    while (!this.#held) {
      const length = frameLength(header, this.#rx.peek(header.subarray(0, 2)));
      if (length === NEED_MORE) break;
      if (length === BAD_FRAME) {
        this.#fail(new RelayError(RELAY_PROTOCOL, `frame length ${(header[0]! << 8) | header[1]!} over ${MAX_PACKET_SIZE}`));
        return 0;
      }
      if (this.#rx.available < 2 + length) break;
      this.#rx.skip(2);
      moved++;
      if (length === 0) continue; // c-toxcore reads a zero length as nothing and goes on to the next prefix
      const body = this.#frame.subarray(0, length);
      this.#rx.read(body);
      const packet = session.openFrame(body);
      if (!packet) {
        this.#fail(new RelayError(RELAY_PROTOCOL, `a frame of ${length} bytes does not authenticate`));
        return 0;
      }
      if (!this.#dispatch(packet)) return 0;
    }
    return moved;
  }

  /** One decrypted packet from the relay; false when the connection failed on it. */
  #dispatch(packet: Uint8Array): boolean {
    const problem = relayPacketProblem(packet);
    if (problem) {
      this.#fail(new RelayError(RELAY_PROTOCOL, `bad packet from the relay: ${problem}`));
      return false;
    }
    const type = packet[0]!;
    if (type >= NUM_RESERVED_PORTS) {
      const link = this.#byId[type - NUM_RESERVED_PORTS];
      if (!link || link.state !== "online") return true; // a link closed here while data was on its way
      if (!link.deliver(packet.subarray(1))) this.#held = { link, data: packet.subarray(1) };
      return true;
    }
    switch (type) {
      case TCP_PACKET_ROUTING_RESPONSE:
        return this.#routed(packet[1]!, packet);
      case TCP_PACKET_CONNECTION_NOTIFICATION: {
        const link = this.#byId[packet[1]! - NUM_RESERVED_PORTS];
        if (link && link.state === "waiting") link.transition("online");
        return true;
      }
      case TCP_PACKET_DISCONNECT_NOTIFICATION: {
        const link = this.#byId[packet[1]! - NUM_RESERVED_PORTS];
        // Our slot at the relay goes back to waiting for the peer: release it too, so a later link starts afresh.
        if (link) this.#drop(link, new RelayError(RELAY_LINK_CLOSED, "the peer disconnected the link"), true);
        return true;
      }
      case TCP_PACKET_PING: {
        this.#queue(this.#small.subarray(0, pingPacket(this.#small, TCP_PACKET_PONG, packet.subarray(1))));
        return true;
      }
      case TCP_PACKET_PONG: {
        let same = this.#pingOut;
        for (let i = 0; same && i < 8; i++) same = packet[1 + i] === this.#pingId[i];
        if (!same) return true; // a stale pong: the relay answers every ping
        this.#pingOut = false;
        if (this.#pongTimer) Timer.clear(this.#pongTimer);
        this.#pongTimer = undefined;
        if (this.#state === "confirming") this.#opened();
        return true;
      }
      case TCP_PACKET_OOB_RECV: {
        if (!this.#oob.push(packet, 1, packet.byteLength - 1)) trace(`${this.#tag}: OOB packet dropped: ${this.#oob.count} unread\n`);
        else this.#waiters.wake("oob");
        return true;
      }
      default:
        return true; // onion response, forwarding: not for us
    }
  }

  #routed(id: number, packet: Uint8Array): boolean {
    let link: RelayLink | undefined;
    for (const l of this.#links) if (l.state === "routing" && sameKey(l.publicKey, packet, 2)) { link = l; break; }
    if (id !== 0 && (id < NUM_RESERVED_PORTS || (this.#byId[id - NUM_RESERVED_PORTS] && this.#byId[id - NUM_RESERVED_PORTS] !== link))) {
      this.#fail(new RelayError(RELAY_PROTOCOL, `routing response with connection id ${id}, which is ${id < NUM_RESERVED_PORTS ? "reserved" : "in use"}`));
      return false;
    }
    if (!link) {
      // closed here before the answer came: give the slot back
      if (id !== 0) this.#queue(this.#small.subarray(0, disconnectNotification(this.#small, id)));
      return true;
    }
    const timer = this.#routeTimers.get(link);
    if (timer) Timer.clear(timer);
    this.#routeTimers.delete(link);
    if (id === 0) {
      const self = sameKey(link.publicKey, this.publicKey);
      this.#drop(link, new RelayError(RELAY_REFUSED, self
        ? "the relay refused the link (id 0): that is our own key"
        : "the relay refused the link (id 0): all 240 of our slots there are in use"));
      return true;
    }
    this.#byId[id - NUM_RESERVED_PORTS] = link;
    link.routed(id);
    return true;
  }

  /** Seals control packets first, then link data round robin, into the tx ring; writes the tx ring to the socket. */
  #send(): number {
    const socket = this.#socket;
    if (!socket) return 0;
    let moved = 0;
    const session = this.#session;
    if (session && (this.#state === "confirming" || this.#state === "open" || this.#lingerTimer)) {
      const plain = this.#plain;
      while (this.#control.count > 0 && this.#tx.free >= frameSize(this.#control.nextLength)) {
        const n = this.#control.pop(plain);
        this.#tx.write(session.sealFrame(plain, 0, n));
        moved++;
      }
      const links = this.#links;
      let idle = 0;
      while (this.#control.count === 0 && links.length > 0 && idle < links.length && this.#tx.free >= frameSize(2)) {
        if (this.#next >= links.length) this.#next = 0;
        const link = links[this.#next++]!;
        if (link.state !== "online" || link.pending === 0) { idle++; continue; }
        const room = Math.min(MAX_LINK_DATA, this.#tx.free - frameSize(1));
        const n = link.take(plain, 1, room);
        plain[0] = link.id;
        this.#tx.write(session.sealFrame(plain, 0, 1 + n));
        moved++;
        idle = 0;
      }
    }
    const writable = this.#socketWritable;
    if (writable > 0 && this.#tx.available > 0) {
      const n = this.#tx.readTo((view) => { socket.write(view); return view.byteLength; }, writable);
      this.#socketWritable -= n;
      moved += n;
    }
    if (this.#lingerTimer && this.#tx.available === 0 && this.#control.count === 0) {
      Timer.clear(this.#lingerTimer);
      this.#lingerTimer = undefined;
      this.#closeSocket();
    }
    return moved;
  }

  /** Queues a control packet (sent before link data). False when the control ring is full. */
  #queue(packet: Uint8Array): boolean {
    return this.#control.push(packet);
  }

  #ping() {
    const id = this.#pingId;
    do this.#random(id); while (id.every((b) => b === 0));
    this.#pingOut = true;
    this.#queue(this.#small.subarray(0, pingPacket(this.#small, TCP_PACKET_PING, id)));
    const timeout = this.#options.pingTimeout ?? 10000;
    if (this.#pongTimer) Timer.clear(this.#pongTimer);
    this.#pongTimer = Timer.set(() => {
      this.#pongTimer = undefined;
      this.#fail(new RelayError(RELAY_TIMEOUT, `the relay did not answer a ping within ${timeout} ms`));
    }, timeout);
  }

  #opened() {
    if (this.#connectTimer) Timer.clear(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#transition("open");
    const interval = this.#options.pingInterval ?? 30000;
    if (interval > 0) this.#pingTimer = Timer.repeat(() => { if (!this.#pingOut) { this.#ping(); this.#pump(); } }, interval);
  }

  /** Takes a link out of the tables and closes it; `tell`: send the relay a disconnect notification for its id. */
  #drop(link: RelayLink, error: RelayError | undefined, tell = false) {
    const i = this.#links.indexOf(link);
    if (i >= 0) this.#links.splice(i, 1);
    const timer = this.#routeTimers.get(link);
    if (timer) Timer.clear(timer);
    this.#routeTimers.delete(link);
    const id = link.id;
    if (id >= NUM_RESERVED_PORTS && this.#byId[id - NUM_RESERVED_PORTS] === link) {
      this.#byId[id - NUM_RESERVED_PORTS] = undefined;
      if (tell) this.#queue(this.#small.subarray(0, disconnectNotification(this.#small, id)));
    }
    if (this.#held && this.#held.link === link) this.#held = undefined;
    link.transition("closed", error);
  }

  #transition(next: ClientState) {
    const from = this.#state;
    if (CLIENT_TRANSITIONS[from].indexOf(next) < 0) throw new Error(`relay: illegal transition ${from} -> ${next}`);
    this.#state = next;
    trace(`${this.#tag}: ${this.host}:${this.port} ${from} -> ${next}${this.#error && next === "failed" ? ` ${this.#error.code}: ${this.#error.message}` : ""}\n`);
    this.#waiters.wake("state", true, CLIENT_TRANSITIONS[next].length === 0);
  }

  #fail(error: RelayError) {
    if (this.#state === "failed" || this.#state === "closed") return;
    this.#error = error;
    const linkError = new RelayError(error.code, `the relay connection failed: ${error.message}`);
    for (const link of this.#links.slice()) this.#drop(link, linkError);
    this.#held = undefined;
    this.#clearTimers();
    this.#closeSocket();
    this.#transition("failed");
  }

  #throwUnlessOpen() {
    if (this.#error) throw this.#error;
    if (this.#state !== "open") throw new RelayError(RELAY_CLOSED, `the relay connection is ${this.#state}, not open`);
  }

  #closeSocket() {
    const socket = this.#socket;
    this.#socket = undefined;
    if (this.#lingerTimer) Timer.clear(this.#lingerTimer);
    this.#lingerTimer = undefined;
    if (!socket) return;
    try {
      socket.close();
    } catch {
      // already closed by the SDK after an error: nothing left to release
    }
  }

  #clearTimers() {
    if (this.#connectTimer) Timer.clear(this.#connectTimer);
    if (this.#pingTimer) Timer.clear(this.#pingTimer);
    if (this.#pongTimer) Timer.clear(this.#pongTimer);
    for (const timer of this.#routeTimers.values()) Timer.clear(timer);
    this.#routeTimers.clear();
    this.#connectTimer = this.#pingTimer = this.#pongTimer = undefined;
  }
}

/** Starts a relay connection; it opens in the background (see RelayClient). Bad arguments throw RELAY_BAD_ARGUMENT. */
export function connect(host: string, port: number, options: ConnectOptions): RelayClient {
  return new RelayClient(host, port, options);
}
