// The transport mux of Secure Streams' serialized proxy (lws v4.4.5 "transport mux", lib/core-net/transport-mux-
// {common,client,proxy}.c, include/libwebsockets/lws-secure-streams-serialization.h): many client streams over
// one byte link, a UART on a board (`embedded:io/serial`), a TCP connection or a pty in the simulator. ss/sspc's
// streams open channels on it (muxSocket(mux) is a TCP-shaped class for ss/tcp's tcpConnector), ss/proxy accepts
// them (startProxy({ link })). Inside a channel the unchanged serialized frames (ss/serial) flow as a byte stream:
// one SS frame may be split across MUX frames.
//
// On the wire, one command byte, numbers big-endian, no CRC, no escaping, no sync marker (header, lines 231-312):
//   F0 ch             CHANNEL_REQ      the client asks for channel ch
//   F1 ch             CHANNEL_ACK      the proxy took it
//   F2 ch             CHANNEL_NACK     refused; for an open channel it is a FIN (common.c 477-489)
//   F3 ch             CHANNEL_CLOSE    close request (lws 4.4.5 never sends it; we answer F4)
//   F4 ch             CHANNEL_CLOSE_ACK
//   F5 ch lh ll data  MUX              `(lh << 8) | ll` bytes for channel ch
//   F6 t[8]           PING             the sender's monotonic µs
//   F7 e[8] t[8]      PONG             e: the PING's t echoed; t: the sender's monotonic µs
//   F8 u[8]           PONGACK          the PING sender's unix time, µs
//   F9                RESET_TRANSPORT  the sender no longer trusts the link
//
// What lws does, read in the v4.4.5 source (line numbers of that tag), and what we do with it:
// - Parser (common.c 393-680), byte at a time, states LWSTMCPAR_*: a command byte outside F0-F9 takes the link
//   DOWN and drops the rest of that read (435-441, 675-679); F9 takes the receiver's link DOWN (427-434). Ours is
//   the same machine; "that read" is our input chunk (inSize bytes at most).
// - Link (common.c 100-168, 218-296): DOWN (0) until a PING / PONG / PONGACK round: A sends F6 tA, B answers
//   F7 tA tB, A checks the echo against its last PING (647-652: a mismatch is only logged), sends F8 with its unix
//   time and is OPERATIONAL (1) from then (259-272); B is OPERATIONAL on F8 (622-635). While DOWN every PING goes
//   behind an F9 (228-232) and only PING / PONG / PONGACK and FINs go out (274-296). A ping is due at start
//   (mux_create 792-795, proxy.c 131-134), then every ping interval; no PONG within the grace: DOWN, probed
//   again after 2 s (156-167). The examples use 10 s and 2 s (ssproxy-custom-transport-uart/main.c 156-169).
//   Going DOWN destroys every channel (103-117).
// - Channels (common.c 68-98, 682-725): one byte; the side with LWSTMINFO_SERVER (the proxy, main.c 159/168)
//   counts up from 1, the other (the client) down from 255; at most 253 in use. (The header's comment, 237-238,
//   says the opposite: the code wins.) Only the client opens (client.c 92-125, and only with the link up). The
//   proxy answers F1 (common.c 320-328) and makes a proxy connection in LPCSPROX_WAIT_INITIAL_TX (proxy.c 198-225,
//   proxy-transport.c 31-66); on F1 the client's stream sends its STREAMTYPE (sspc-transport.c 111-133). F2 for a
//   channel being opened: the attempt failed, retried after 1 s (sspc-transport.c 135-137). A MUX frame for an
//   unknown channel: its payload skipped, F2 ch answered (common.c 560-578, 274-285). The channel states are
//   LWSTMC_* (header 467-478).
// - Closing: lws 4.4.5 never closes a channel in practice: its client's close is empty (client.c 178-182), nothing
//   sets PENDING_CLOSE_CHANNEL, and its F3 handling answers nothing (the pending switch tests F4's value, 348).
//   A channel ends by F2 or by the link going DOWN. We close with F2 ch (after the channel's queued bytes), take
//   F3 as a FIN and answer F4. lws keeps a FIN'd channel's index taken until the link goes down (489: the channel
//   is not destroyed) and ignores a CHANNEL_REQ for it (448-464): so our client does not reuse an index soon (a
//   cursor walks down through 255..1), and a request unanswered within reqTimeoutMs fails (the stream retries on
//   another index) and marks that index stale until the link goes down.
// - Sizes: lws' client puts at most 2048 - LWS_PRE - 19 payload bytes in one TX_PAYLOAD through the mux
//   (client.c 248-254, sspc-transport.c 404); its proxy writes up to 2048 bytes per link write (proxy.c 272).
//   A MUX frame's length is 16 bits; our parser streams any length into the channel.
// - Run against lws' own proxy on a pty (modules/ss/README.md): lws' proxy asserts (proxy-deserialize.c:75) when a
//   TX_PAYLOAD reaches it in pieces, or two wait in its buffer at once (its mux transport coalesces them, and its
//   serial transport reads 1024 bytes at a time). Hence alignFrames (one SS frame per MUX frame, as lws' client
//   writes) and ss/sspc's txMax; several streams sending at once still bring lws' proxy down.
//
// Bounded memory, fixed at construction: the link's input chunk (inSize) and tx ring (txSize); per channel, fixed
// at open, an rx ring and a tx ring (channelRx, channelTx); at most maxChannels channels. The scheduler moves
// channel tx into MUX frames round-robin (at most maxPayload bytes each), behind the link's control bytes, and
// writes the link only as far as its onWritable reported. When a channel's rx ring is full the mux stops reading
// the link (the link's own buffer, then its flow control, hold the rest): head-of-line blocking, every channel
// waits for the slowest reader, as on any single byte link without per-channel credit (lws has none either).
//
// Bad input never throws out of here: an unknown command resets the link (logged, stats.badCommands), a MUX frame
// for an unknown or closed channel is skipped and answered F2 (stats.unknownChannel), an unexpected ACK / NACK /
// CLOSE_ACK is logged and ignored. Every callback the owner gave runs in try/catch.
import Ring from "ring";
import Time from "time";
import Timer from "timer";
import {
  LWSSSS_LLM_CHANNEL_REQ, LWSSSS_LLM_CHANNEL_ACK, LWSSSS_LLM_CHANNEL_NACK, LWSSSS_LLM_CHANNEL_CLOSE,
  LWSSSS_LLM_CHANNEL_CLOSE_ACK, LWSSSS_LLM_MUX, LWSSSS_LLM_PING, LWSSSS_LLM_PONG, LWSSSS_LLM_PONGACK,
  LWSSSS_LLM_RESET_TRANSPORT, LWSTM_TRANSPORT_DOWN, LWSTM_OPERATIONAL, LWSTMC_PENDING_CREATE_CHANNEL,
  LWSTMC_AWAITING_CREATE_CHANNEL_ACK, LWSTMC_PENDING_CREATE_CHANNEL_ACK, LWSTMC_OPERATIONAL,
} from "ss/constants";

/** Ours, not lws': the channel is gone (closed, refused, or the link went down). */
export const MUXCH_DESTROYED = 8;

/** Parser states (lws' enum lwstmc_parser). */
const LWSTMCPAR_CMD = 0;
const LWSTMCPAR_CHIDX_DONE = 1;
const LWSTMCPAR_CHIDX = 2;
const LWSTMCPAR_PLENH = 3;
const LWSTMCPAR_PLENL = 4;
const LWSTMCPAR_PAY = 5;
const LWSTMCPAR_T64_1 = 6;
const LWSTMCPAR_T64_2 = 7;

/** lws' LWS_MUCH_RANGE: channel indexes 0-255; at most RANGE - 3 in use (common.c 73). */
const RANGE = 256;

export type MuxRole = "client" | "proxy";

/** A link provider in the SDK's shape: `io` is the class (TCP, Serial), the rest its constructor's options
 * (`{ io: TCP, address, port }`, `{ io: TCP, from }`, `{ io: Serial, port, receive, transmit, baud }`). */
export interface LinkProvider {
  // `any`: the host boundary, the SDK's own socket classes and their options.
  io: new (options: any) => any;
  [option: string]: any;
}

export interface MuxOptions {
  link: LinkProvider;
  /** "proxy": lws' LWSTMINFO_SERVER side (takes channels); "client": opens them. */
  role: MuxRole;
  /** The proxy side: a client opened a channel (CHANNEL_ACK sent). Attach to it at once. */
  onChannel?: (channel: MuxChannel) => void;
  /** The link went up (true) or down (false). */
  onLink?: (up: boolean) => void;
  /** Default 10000 and 2000 (lws' examples); no PONG within the grace: DOWN, probed again after downRetryMs. */
  pingIntervalMs?: number;
  pongGraceMs?: number;
  downRetryMs?: number;
  /** A CHANNEL_REQ unanswered this long fails (default 5000). */
  reqTimeoutMs?: number;
  /** When the link socket reports an error (a TCP peer closed), open it again after this long (default 0: no). */
  reconnectMs?: number;
  /** Channels at once (default 8, at most 253). */
  maxChannels?: number;
  /** Each channel's rx and tx rings (default 1024 each). */
  channelRx?: number;
  channelTx?: number;
  /** The link's tx ring (default 2048) and input chunk (default 512). */
  txSize?: number;
  inSize?: number;
  /** The longest MUX payload sent (default 1024). */
  maxPayload?: number;
  /** Channels made by socketClass() (ss/sspc's) cut their MUX frames at the serialized frames inside (peeking
   * their [type][u16 length] headers): one SS frame per MUX frame where it fits maxPayload, as lws' client writes
   * (one _write per frame). lws' proxy needs it: a TX_PAYLOAD that reaches it in pieces trips an assert
   * (proxy-deserialize.c:75). Default true. Channels from open() carry plain bytes. */
  alignFrames?: boolean;
  log?: (line: string) => void;
}

export interface MuxStats {
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
  pings: number;
  pongs: number;
  linkUps: number;
  linkDowns: number;
  badCommands: number;
  unknownChannel: number;
  opened: number;
  refused: number;
  /** Times the parser stopped reading the link because a channel's rx ring was full. */
  stalls: number;
}

/** The callbacks a channel's owner gives (the ECMA-419 socket's). */
export interface ChannelCallbacks {
  onReadable?: (count: number) => void;
  onWritable?: (count: number) => void;
  onError?: () => void;
}

/** One channel, shaped as an ECMA-419 socket: read / write never past the counts its callbacks reported. */
export class MuxChannel {
  /** The channel index on the wire. */
  readonly index: number;
  /** lws' LWSTMC_* state (MUXCH_DESTROYED when gone). */
  state: number;
  readonly rx: Ring;
  readonly tx: Ring;
  readonly #mux: Mux;
  #cb: ChannelCallbacks = {};
  /** A FIN came: onError once every byte before it was read. */
  peerClosed = false;
  /** close() was called: queued tx goes out, then F2. */
  closing = false;
  #errored = false;
  /** MUX frames end where the SS frames inside end (socketClass() channels); `rest`: bytes still to send of a
   * frame longer than maxPayload, sent in pieces. */
  align = false;
  rest = 0;
  reqTimer: ReturnType<typeof Timer.set> | undefined;

  constructor(mux: Mux, index: number, state: number, rxSize: number, txSize: number) {
    this.#mux = mux;
    this.index = index;
    this.state = state;
    this.rx = new Ring(rxSize);
    this.tx = new Ring(txSize);
  }

  /** Give the callbacks (the proxy does at accept); returns the channel, as a socket. */
  attach(callbacks: ChannelCallbacks): MuxChannel {
    this.#cb = callbacks;
    if (this.state === LWSTMC_OPERATIONAL) Promise.resolve().then(() => this.writable());
    return this;
  }

  get format(): string { return "buffer"; }

  /** TCP's read: `read(view)` fills the whole view (throws `invalid` past what is readable), `read(n)` an
   * ArrayBuffer of n, `read()` all there is (undefined when nothing). */
  read(what?: Uint8Array | number): any {
    const rx = this.rx;
    let result: any;
    if (what === undefined) {
      if (rx.available === 0) return undefined;
      const b = new Uint8Array(rx.available);
      rx.read(b);
      result = b.buffer;
    } else if (typeof what === "number") {
      if (!(what > 0) || what > rx.available) throw new Error("invalid");
      const b = new Uint8Array(what);
      rx.read(b);
      result = b.buffer;
    } else {
      if (what.byteLength > rx.available) throw new Error("invalid");
      rx.read(what);
      result = what.byteLength;
    }
    this.#mux.drained(this);
    return result;
  }

  /** TCP's write: throws `would block` past the space onWritable last reported; returns the space left. */
  write(bytes: Uint8Array | ArrayBuffer): number {
    if (this.state === MUXCH_DESTROYED || this.closing || this.peerClosed) return 0; // as TCP after an error
    const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    if (b.byteLength > this.tx.free) throw new Error("would block");
    this.tx.write(b);
    this.#mux.kick();
    return this.tx.free;
  }

  /** Close: the queued tx goes out, then F2 (lws' FIN). No callback comes after this. */
  close(): void {
    this.#cb = {};
    this.#mux.closeChannel(this);
  }

  // ---- for the Mux ----

  readable(): void {
    const f = this.#cb.onReadable;
    if (f && this.rx.available > 0) this.#mux.guard(() => f(this.rx.available), "onReadable");
  }

  writable(): void {
    const f = this.#cb.onWritable;
    if (f && this.state === LWSTMC_OPERATIONAL && !this.closing && this.tx.free > 0) {
      this.#mux.guard(() => f(this.tx.free), "onWritable");
    }
  }

  /** The channel ended (refused, FIN, link down): onError once, after the bytes already received were read. */
  error(): void {
    if (this.#errored || this.peerClosed && this.rx.available > 0) return;
    this.#errored = true;
    const f = this.#cb.onError;
    this.#cb = {};
    if (f) this.#mux.guard(f, "onError");
  }
}

/** The 64-bit big-endian value at b[at] as a Number (exact below 2^53). */
function readU64(b: Uint8Array, at: number): number {
  return ((b[at]! << 24 >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!) * 4294967296 +
    ((b[at + 4]! << 24 >>> 0) + (b[at + 5]! << 16) + (b[at + 6]! << 8) + b[at + 7]!);
}

function writeU64(b: Uint8Array, at: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  const lo = v - hi * 4294967296;
  b[at] = (hi >>> 24) & 0xff; b[at + 1] = (hi >>> 16) & 0xff; b[at + 2] = (hi >>> 8) & 0xff; b[at + 3] = hi & 0xff;
  b[at + 4] = (lo >>> 24) & 0xff; b[at + 5] = (lo >>> 16) & 0xff; b[at + 6] = (lo >>> 8) & 0xff; b[at + 7] = lo & 0xff;
}

export class Mux {
  readonly role: MuxRole;
  /** lws' link_state: LWSTM_TRANSPORT_DOWN or LWSTM_OPERATIONAL. */
  linkState = LWSTM_TRANSPORT_DOWN;
  /** The peer's unix time (µs) from its last PONGACK, and Time.ticks when it came (0: none yet). */
  peerUnixTimeUs = 0;
  peerUnixTimeAt = 0;
  readonly stats: MuxStats = {
    bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, pings: 0, pongs: 0, linkUps: 0, linkDowns: 0,
    badCommands: 0, unknownChannel: 0, opened: 0, refused: 0, stalls: 0,
  };
  readonly #o: MuxOptions;
  readonly #log: (line: string) => void;
  readonly #pingInterval: number;
  readonly #pongGrace: number;
  readonly #downRetry: number;
  readonly #reqTimeout: number;
  readonly #maxChannels: number;
  readonly #maxPayload: number;
  readonly #align: boolean;
  readonly #peek = new Uint8Array(3);
  #socket: any; // the link: the SDK's TCP or Serial
  #closed = false;
  #linkReadable = 0;
  #linkWritable = 0;
  readonly #tx: Ring;
  readonly #in: Uint8Array;
  #inPos = 0;
  #inEnd = 0;
  // parser (lws' mp_*)
  #ps = LWSTMCPAR_CMD;
  #cmd = 0;
  #idx = 0;
  #pay = 0;
  #ctr = 0;
  #payCh: MuxChannel | undefined;
  readonly #t1 = new Uint8Array(8);
  readonly #t2 = new Uint8Array(8);
  // ping state (lws' issue_* and awaiting_pong)
  #issuePing = false;
  #issuePong = false;
  #issuePongack = false;
  #awaitingPong = false;
  readonly #pingOut = new Uint8Array(8);
  readonly #pingIn = new Uint8Array(8);
  #pingTimer: ReturnType<typeof Timer.set> | undefined;
  #reconnectTimer: ReturnType<typeof Timer.set> | undefined;
  // channels
  readonly #byIndex: (MuxChannel | undefined)[] = new Array(RANGE).fill(undefined);
  readonly #channels: MuxChannel[] = [];
  readonly #fin = new Uint8Array(RANGE);
  #finCount = 0;
  readonly #closeAckPending = new Uint8Array(RANGE);
  #closeAckCount = 0;
  readonly #stale = new Uint8Array(RANGE);
  #cursor: number;
  #rr = 0;
  readonly #hdr = new Uint8Array(20);
  // re-entrance guards
  #inBusy = false;
  #inAgain = false;
  #outBusy = false;
  #outAgain = false;
  #kickQueued = false;

  constructor(options: MuxOptions) {
    this.#o = options;
    this.role = options.role;
    this.#log = options.log ?? ((line: string) => trace(`${line}\n`));
    this.#pingInterval = options.pingIntervalMs ?? 10000;
    this.#pongGrace = options.pongGraceMs ?? 2000;
    this.#downRetry = options.downRetryMs ?? 2000;
    this.#reqTimeout = options.reqTimeoutMs ?? 5000;
    const max = options.maxChannels ?? 8;
    this.#maxChannels = max < 1 ? 1 : max > RANGE - 3 ? RANGE - 3 : max;
    const mp = options.maxPayload ?? 1024;
    this.#maxPayload = mp < 1 ? 1 : mp > 0xffff ? 0xffff : mp;
    this.#align = options.alignFrames ?? true;
    this.#tx = new Ring(options.txSize ?? 2048);
    this.#in = new Uint8Array(options.inSize ?? 512);
    this.#cursor = this.role === "proxy" ? 1 : RANGE - 1;
    this.#openLink();
  }

  /** Channels in use now (opening, open or closing). */
  get channels(): number { return this.#channels.length; }

  /** Whether the link is OPERATIONAL. */
  get up(): boolean { return this.linkState === LWSTM_OPERATIONAL; }

  /** Stop: every channel ends (onError), the link is closed, no timer is left. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#setLink(LWSTM_TRANSPORT_DOWN, "closed");
    for (const ch of this.#channels.slice()) this.#destroy(ch);
    this.#clearTimers();
    this.#closeSocket();
  }

  /** A TCP-shaped class whose constructor opens a channel (address and port are ignored): ss/tcp's
   * tcpConnector({ tcp: muxSocket(mux) }). */
  socketClass(): new (options: any) => any {
    const mux = this;
    // A constructor may return another object: `new` then gives the channel itself.
    return class MuxSocket {
      constructor(options: any) {
        return mux.open(options, mux.#align) as any;
      }
    };
  }

  /** The client side: a new channel. CHANNEL_REQ goes out while the link is up; onWritable comes at its
   * CHANNEL_ACK, onError at a NACK, at reqTimeoutMs, when the link goes down, or at once (next turn) when no
   * index or channel is free. */
  open(callbacks: ChannelCallbacks, alignFrames = false): MuxChannel {
    const index = this.#closed || this.role !== "client" ? -1 : this.#nextFree();
    if (index < 0) {
      const dead = new MuxChannel(this, 0, MUXCH_DESTROYED, 1, 1);
      dead.attach(callbacks);
      this.stats.refused++;
      this.#log(`ss-mux: no channel free (${this.#channels.length} of ${this.#maxChannels} in use)`);
      Promise.resolve().then(() => dead.error());
      return dead;
    }
    const ch = new MuxChannel(this, index, LWSTMC_PENDING_CREATE_CHANNEL, this.#o.channelRx ?? 1024, this.#o.channelTx ?? 1024);
    ch.align = alignFrames;
    ch.attach(callbacks);
    this.#add(ch);
    this.kick();
    return ch;
  }

  // ---- for MuxChannel ----

  /** Run an owner's callback; a throw is logged, never escapes. */
  guard(f: () => void, what: string): void {
    try {
      f();
    } catch (error) {
      this.#log(`ss-mux: a channel's ${what} threw: ${String(error)}`);
    }
  }

  /** Service the link soon (a promise job): a channel has bytes to send, or a control byte is due. */
  kick(): void {
    if (this.#kickQueued || this.#closed) return;
    this.#kickQueued = true;
    Promise.resolve().then(() => {
      this.#kickQueued = false;
      this.#pumpOut();
    });
  }

  /** A channel's reader took bytes: the parser may go on, a FIN may now be reported. */
  drained(ch: MuxChannel): void {
    if (ch.peerClosed && ch.rx.available === 0) {
      Promise.resolve().then(() => ch.error());
      return;
    }
    if (this.#payCh === ch && this.#ps === LWSTMCPAR_PAY) Promise.resolve().then(() => this.#pumpIn());
  }

  closeChannel(ch: MuxChannel): void {
    if (ch.state === MUXCH_DESTROYED || ch.closing) return;
    ch.closing = true;
    if (ch.state === LWSTMC_OPERATIONAL && !ch.peerClosed && this.up) {
      this.kick(); // queued tx, then F2
      return;
    }
    if (ch.state === LWSTMC_AWAITING_CREATE_CHANNEL_ACK && this.up) this.#stale[ch.index] = 1; // an ACK may still come
    this.#destroy(ch);
  }

  // ---- the link socket ----

  #openLink(): void {
    this.#reconnectTimer = undefined;
    if (this.#closed) return;
    const { io, ...options } = this.#o.link;
    try {
      this.#socket = new io({
        ...options,
        format: "buffer",
        onReadable: (count: number) => {
          this.#linkReadable = count;
          this.#pumpIn();
        },
        onWritable: (count: number) => {
          this.#linkWritable = count;
          this.#pumpOut();
        },
        onError: () => this.#linkError(),
      });
    } catch (error) {
      this.#log(`ss-mux: cannot open the link: ${String(error)}`);
      this.#socket = undefined;
      this.#retryLink();
      return;
    }
    this.#linkWritable = 0;
    this.#linkReadable = 0;
    this.#ps = LWSTMCPAR_CMD;
    this.#inPos = this.#inEnd = 0;
    this.#schedulePing(1); // lws: a ping straight off
  }

  #linkError(): void {
    this.#log("ss-mux: the link failed (its socket reported an error)");
    this.#closeSocket();
    this.#setLink(LWSTM_TRANSPORT_DOWN, "the link's socket failed");
    for (const ch of this.#channels.slice()) if (ch.state !== LWSTMC_PENDING_CREATE_CHANNEL) this.#destroy(ch);
    this.#clearTimers();
    this.#issuePing = this.#issuePong = this.#issuePongack = this.#awaitingPong = false;
    this.#tx.clear();
    this.#retryLink();
  }

  #retryLink(): void {
    const ms = this.#o.reconnectMs ?? 0;
    if (ms > 0 && !this.#closed) this.#reconnectTimer = Timer.set(() => this.#openLink(), ms);
  }

  #closeSocket(): void {
    const s = this.#socket;
    this.#socket = undefined;
    try { s?.close(); } catch { /* closed */ }
  }

  #clearTimers(): void {
    if (this.#pingTimer !== undefined) Timer.clear(this.#pingTimer);
    if (this.#reconnectTimer !== undefined) Timer.clear(this.#reconnectTimer);
    this.#pingTimer = this.#reconnectTimer = undefined;
  }

  // ---- link state, ping / pong (lws' lws_transport_set_link, sul_ping_cb) ----

  #schedulePing(ms: number): void {
    if (this.#closed) return;
    if (this.#pingTimer !== undefined) Timer.clear(this.#pingTimer);
    this.#pingTimer = Timer.set(() => this.#pingDue(), ms);
  }

  #pingDue(): void {
    this.#pingTimer = undefined;
    if (!this.#awaitingPong) {
      // the grace runs from the decision to ping, so a ping that cannot be sent counts as lost
      this.#issuePing = true;
      this.#awaitingPong = true;
      this.#schedulePing(this.#pongGrace);
      this.kick();
      return;
    }
    this.#log(`ss-mux: no PONG within ${this.#pongGrace} ms`);
    this.#awaitingPong = false;
    this.#setLink(LWSTM_TRANSPORT_DOWN, "no PONG");
    this.#schedulePing(this.#downRetry);
  }

  #setLink(state: number, why: string): void {
    const was = this.linkState;
    this.linkState = state;
    if (was === state) return;
    if (state === LWSTM_TRANSPORT_DOWN) {
      this.stats.linkDowns++;
      this.#log(`ss-mux: link DOWN (${why}); ${this.#channels.length} channels end`);
      for (const ch of this.#channels.slice()) {
        if (ch.state !== LWSTMC_PENDING_CREATE_CHANNEL || this.#closed) this.#destroy(ch);
      }
      this.#stale.fill(0);
      this.#awaitingPong = false;
      this.#issuePing = true;
      if (!this.#closed) {
        this.#schedulePing(this.#downRetry);
        this.kick();
      }
    } else {
      this.stats.linkUps++;
      this.#log(`ss-mux: link UP (${this.role})`);
      this.kick(); // channels waiting for the link
    }
    const f = this.#o.onLink;
    if (f) this.guard(() => f(state === LWSTM_OPERATIONAL), "onLink");
  }

  // ---- channels ----

  #nextFree(): number {
    if (this.#channels.length >= this.#maxChannels) return -1;
    const step = this.role === "proxy" ? 1 : -1;
    let n = this.#cursor;
    for (let i = 0; i < RANGE - 1; i++) {
      const index = n;
      n += step;
      if (n < 1) n = RANGE - 1;
      if (n >= RANGE) n = 1;
      if (!this.#byIndex[index] && !this.#stale[index]) {
        this.#cursor = n;
        return index;
      }
    }
    return -1;
  }

  #add(ch: MuxChannel): void {
    this.#byIndex[ch.index] = ch;
    this.#channels.push(ch);
  }

  /** Forget the channel (no frame); its owner gets onError unless it closed it. */
  #destroy(ch: MuxChannel): void {
    if (ch.state === MUXCH_DESTROYED) return;
    ch.state = MUXCH_DESTROYED;
    if (ch.reqTimer !== undefined) Timer.clear(ch.reqTimer);
    ch.reqTimer = undefined;
    if (this.#byIndex[ch.index] === ch) this.#byIndex[ch.index] = undefined;
    const i = this.#channels.indexOf(ch);
    if (i >= 0) this.#channels.splice(i, 1);
    if (this.#payCh === ch) this.#payCh = undefined;
    ch.error();
  }

  #sendFin(index: number): void {
    if (!this.#fin[index]) {
      this.#fin[index] = 1;
      this.#finCount++;
    }
    this.kick();
  }

  // ---- rx: the parser (lws_transport_mux_rx_parse) ----

  #pumpIn(): void {
    if (this.#inBusy) {
      this.#inAgain = true;
      return;
    }
    this.#inBusy = true;
    try {
      do {
        this.#inAgain = false;
        while (!this.#closed && this.#socket) {
          if (this.#inPos === this.#inEnd) {
            this.#inPos = this.#inEnd = 0;
            let n = this.#linkReadable;
            if (n > this.#in.length) n = this.#in.length;
            if (n <= 0) break;
            this.#socket.read(this.#in.subarray(0, n));
            this.#linkReadable -= n;
            this.#inEnd = n;
            this.stats.bytesIn += n;
          }
          if (!this.#parse()) break; // a channel's rx ring is full: stop reading the link
        }
      } while (this.#inAgain && !this.#closed);
    } catch (error) {
      this.#log(`ss-mux: link read failed: ${String(error)}`);
    }
    this.#inBusy = false;
  }

  /** Parse #in[#inPos, #inEnd). false: stalled on a full channel. */
  #parse(): boolean {
    const b = this.#in;
    while (this.#inPos < this.#inEnd && !this.#closed) {
      switch (this.#ps) {
        case LWSTMCPAR_CMD: {
          const cmd = b[this.#inPos++]!;
          this.#cmd = cmd;
          this.stats.framesIn++;
          if (cmd >= LWSSSS_LLM_CHANNEL_REQ && cmd <= LWSSSS_LLM_CHANNEL_CLOSE_ACK) this.#ps = LWSTMCPAR_CHIDX_DONE;
          else if (cmd === LWSSSS_LLM_MUX) this.#ps = LWSTMCPAR_CHIDX;
          else if (cmd === LWSSSS_LLM_PING || cmd === LWSSSS_LLM_PONG || cmd === LWSSSS_LLM_PONGACK) {
            this.#ctr = 0;
            this.#ps = LWSTMCPAR_T64_1;
          } else if (cmd === LWSSSS_LLM_RESET_TRANSPORT) {
            this.#setLink(LWSTM_TRANSPORT_DOWN, "the peer sent RESET_TRANSPORT");
          } else {
            this.stats.badCommands++;
            const dropped = this.#inEnd - this.#inPos;
            this.#inPos = this.#inEnd; // lws: the rest of that read is dropped
            this.#log(`ss-mux: unknown command 0x${cmd.toString(16)}: link reset, ${dropped} bytes after it dropped`);
            this.#setLink(LWSTM_TRANSPORT_DOWN, `unknown command 0x${cmd.toString(16)}`);
            return true;
          }
          break;
        }
        case LWSTMCPAR_CHIDX_DONE:
          this.#idx = b[this.#inPos++]!;
          this.#ps = LWSTMCPAR_CMD;
          this.#control(this.#cmd, this.#idx);
          break;
        case LWSTMCPAR_CHIDX:
          this.#idx = b[this.#inPos++]!;
          this.#ps = LWSTMCPAR_PLENH;
          break;
        case LWSTMCPAR_PLENH:
          this.#pay = b[this.#inPos++]! << 8;
          this.#ps = LWSTMCPAR_PLENL;
          break;
        case LWSTMCPAR_PLENL: {
          this.#pay |= b[this.#inPos++]!;
          const ch = this.#byIndex[this.#idx];
          if (!ch || ch.state !== LWSTMC_OPERATIONAL || ch.peerClosed) {
            this.stats.unknownChannel++;
            this.#log(`ss-mux: ${this.#pay} bytes for channel ${this.#idx}, which is not open: skipped, FIN sent`);
            this.#sendFin(this.#idx);
            this.#payCh = undefined;
          } else {
            this.#payCh = ch;
          }
          this.#ps = this.#pay === 0 ? LWSTMCPAR_CMD : LWSTMCPAR_PAY;
          break;
        }
        case LWSTMCPAR_PAY: {
          let n = this.#inEnd - this.#inPos;
          if (n > this.#pay) n = this.#pay;
          const ch = this.#payCh;
          if (ch && ch.state === LWSTMC_OPERATIONAL) {
            const free = ch.rx.free;
            if (free === 0) {
              this.stats.stalls++;
              return false;
            }
            if (n > free) n = free;
            ch.rx.write(b, this.#inPos, n);
          }
          this.#inPos += n;
          this.#pay -= n;
          if (this.#pay === 0) this.#ps = LWSTMCPAR_CMD;
          if (ch && ch.state === LWSTMC_OPERATIONAL) ch.readable();
          break;
        }
        case LWSTMCPAR_T64_1:
          this.#t1[this.#ctr++] = b[this.#inPos++]!;
          if (this.#ctr < 8) break;
          this.#ctr = 0;
          if (this.#cmd === LWSSSS_LLM_PING) {
            this.#ps = LWSTMCPAR_CMD;
            this.#pingIn.set(this.#t1);
            this.#issuePong = true;
            this.stats.pings++;
            this.kick();
          } else if (this.#cmd === LWSSSS_LLM_PONGACK) {
            this.#ps = LWSTMCPAR_CMD;
            this.peerUnixTimeUs = readU64(this.#t1, 0);
            this.peerUnixTimeAt = Time.ticks;
            this.#setLink(LWSTM_OPERATIONAL, "PONGACK");
            this.#awaitingPong = false;
            this.#schedulePing(this.#pingInterval);
          } else {
            this.#ps = LWSTMCPAR_T64_2;
          }
          break;
        case LWSTMCPAR_T64_2: {
          this.#t2[this.#ctr++] = b[this.#inPos++]!;
          if (this.#ctr < 8) break;
          this.#ps = LWSTMCPAR_CMD;
          let same = true;
          for (let i = 0; i < 8; i++) if (this.#t1[i] !== this.#pingOut[i]) same = false;
          if (!same) {
            this.#log(`ss-mux: PONG echoes ${readU64(this.#t1, 0)}, our last PING was ${readU64(this.#pingOut, 0)}: ignored`);
            break;
          }
          this.stats.pongs++;
          this.#awaitingPong = false;
          this.#schedulePing(this.#pingInterval);
          this.#issuePongack = true;
          this.kick();
          break;
        }
      }
    }
    return true;
  }

  /** F0-F4 ch (lws: LWSTMCPAR_CHIDX_DONE). */
  #control(cmd: number, index: number): void {
    const ch = this.#byIndex[index];
    switch (cmd) {
      case LWSSSS_LLM_CHANNEL_REQ:
        if (this.role !== "proxy") {
          this.#log(`ss-mux: CHANNEL_REQ ${index} at the client side: refused (NACK)`);
          this.#sendFin(index);
          return;
        }
        if (ch) {
          this.#log(`ss-mux: CHANNEL_REQ ${index}, already in use: ignored (lws)`);
          return;
        }
        if (this.#channels.length >= this.#maxChannels) {
          this.stats.refused++;
          this.#log(`ss-mux: CHANNEL_REQ ${index}: ${this.#maxChannels} channels in use: refused (NACK)`);
          this.#sendFin(index);
          return;
        }
        this.#add(new MuxChannel(this, index, LWSTMC_PENDING_CREATE_CHANNEL_ACK, this.#o.channelRx ?? 1024, this.#o.channelTx ?? 1024));
        this.kick();
        return;
      case LWSSSS_LLM_CHANNEL_ACK:
      case LWSSSS_LLM_CHANNEL_NACK: {
        const name = cmd === LWSSSS_LLM_CHANNEL_ACK ? "CHANNEL_ACK" : "CHANNEL_NACK";
        if (!ch) {
          if (cmd === LWSSSS_LLM_CHANNEL_ACK) this.#log(`ss-mux: ${name} ${index} we do not remember asking for: ignored`);
          return;
        }
        if (ch.state === LWSTMC_OPERATIONAL || ch.state === LWSTMC_PENDING_CREATE_CHANNEL_ACK) {
          if (cmd === LWSSSS_LLM_CHANNEL_NACK) this.#peerFin(ch, "FIN (CHANNEL_NACK)");
          else this.#log(`ss-mux: CHANNEL_ACK ${index}, already open: ignored`);
          return;
        }
        if (ch.state !== LWSTMC_AWAITING_CREATE_CHANNEL_ACK) {
          this.#log(`ss-mux: ${name} ${index} before we asked: ignored`);
          return;
        }
        if (ch.reqTimer !== undefined) Timer.clear(ch.reqTimer);
        ch.reqTimer = undefined;
        if (cmd === LWSSSS_LLM_CHANNEL_ACK) {
          ch.state = LWSTMC_OPERATIONAL;
          this.stats.opened++;
          if (ch.closing) this.kick();
          else ch.writable();
        } else {
          this.stats.refused++;
          this.#log(`ss-mux: channel ${index} refused (CHANNEL_NACK)`);
          this.#destroy(ch);
        }
        return;
      }
      case LWSSSS_LLM_CHANNEL_CLOSE:
        if (!ch || ch.state !== LWSTMC_OPERATIONAL) {
          this.#log(`ss-mux: CHANNEL_CLOSE ${index} for a channel not open: ignored`);
          return;
        }
        this.#peerFin(ch, "CHANNEL_CLOSE");
        this.#closeAck(index);
        return;
      case LWSSSS_LLM_CHANNEL_CLOSE_ACK:
        this.#log(`ss-mux: CHANNEL_CLOSE_ACK ${index}: we sent no CHANNEL_CLOSE: ignored`);
        return;
    }
  }

  #closeAck(index: number): void {
    if (!this.#closeAckPending[index]) {
      this.#closeAckPending[index] = 1;
      this.#closeAckCount++;
    }
    this.kick();
  }

  /** The peer ended an open channel: its index is free now; its owner hears onError once every byte was read. */
  #peerFin(ch: MuxChannel, why: string): void {
    this.#log(`ss-mux: channel ${ch.index} closed by the peer (${why})`);
    ch.peerClosed = true;
    if (this.#byIndex[ch.index] === ch) this.#byIndex[ch.index] = undefined;
    const i = this.#channels.indexOf(ch);
    if (i >= 0) this.#channels.splice(i, 1);
    if (this.#payCh === ch) this.#payCh = undefined;
    ch.state = MUXCH_DESTROYED;
    if (ch.rx.available === 0) ch.error();
  }

  // ---- tx: the scheduler (lws_transport_mux_pending) ----

  #put(n: number): void {
    this.#tx.write(this.#hdr, 0, n);
    this.stats.framesOut++;
  }

  #pumpOut(): void {
    if (this.#outBusy) {
      this.#outAgain = true;
      return;
    }
    this.#outBusy = true;
    const notify: MuxChannel[] = [];
    try {
      do {
        this.#outAgain = false;
        this.#fill(notify);
        this.#flush();
      } while ((this.#outAgain || this.#tx.available > 0 && this.#linkWritable > 0) && this.#socket && !this.#closed);
    } catch (error) {
      this.#log(`ss-mux: link write failed: ${String(error)}`);
    }
    this.#outBusy = false;
    for (let i = 0; i < notify.length; i++) notify[i]!.writable();
  }

  /** Control bytes, then MUX frames, into the link's tx ring while it has room. */
  #fill(notify: MuxChannel[]): void {
    if (!this.#socket || this.#closed) return;
    const tx = this.#tx;
    const h = this.#hdr;
    if (this.#issuePing && tx.free >= 10) {
      let n = 0;
      if (this.linkState === LWSTM_TRANSPORT_DOWN) h[n++] = LWSSSS_LLM_RESET_TRANSPORT;
      h[n++] = LWSSSS_LLM_PING;
      writeU64(this.#pingOut, 0, Time.ticks * 1000);
      h.set(this.#pingOut, n);
      this.#put(n + 8);
      this.#issuePing = false;
    }
    if (this.#issuePong && tx.free >= 17) {
      h[0] = LWSSSS_LLM_PONG;
      h.set(this.#pingIn, 1);
      writeU64(h, 9, Time.ticks * 1000);
      this.#put(17);
      this.#issuePong = false;
    }
    if (this.#issuePongack && tx.free >= 9) {
      h[0] = LWSSSS_LLM_PONGACK;
      writeU64(h, 1, Date.now() * 1000);
      this.#put(9);
      this.#issuePongack = false;
      this.#awaitingPong = false;
      this.#schedulePing(this.#pingInterval);
      this.#setLink(LWSTM_OPERATIONAL, "PONGACK sent");
    }
    for (let i = 0; this.#finCount > 0 && i < RANGE && tx.free >= 2; i++) {
      if (!this.#fin[i]) continue;
      this.#fin[i] = 0;
      this.#finCount--;
      h[0] = LWSSSS_LLM_CHANNEL_NACK;
      h[1] = i;
      this.#put(2);
    }
    if (this.linkState === LWSTM_TRANSPORT_DOWN) return; // only probes and FINs while down
    for (let i = 0; this.#closeAckCount > 0 && i < RANGE && tx.free >= 2; i++) {
      if (!this.#closeAckPending[i]) continue;
      this.#closeAckPending[i] = 0;
      this.#closeAckCount--;
      h[0] = LWSSSS_LLM_CHANNEL_CLOSE_ACK;
      h[1] = i;
      this.#put(2);
    }
    const chs = this.#channels;
    for (let i = 0; i < chs.length && tx.free >= 2; i++) {
      const ch = chs[i]!;
      if (ch.state === LWSTMC_PENDING_CREATE_CHANNEL) {
        h[0] = LWSSSS_LLM_CHANNEL_REQ;
        h[1] = ch.index;
        this.#put(2);
        ch.state = LWSTMC_AWAITING_CREATE_CHANNEL_ACK;
        ch.reqTimer = Timer.set(() => {
          ch.reqTimer = undefined;
          if (ch.state !== LWSTMC_AWAITING_CREATE_CHANNEL_ACK) return;
          this.#log(`ss-mux: CHANNEL_REQ ${ch.index} unanswered for ${this.#reqTimeout} ms: failed, index set aside`);
          this.#stale[ch.index] = 1;
          this.#destroy(ch);
        }, this.#reqTimeout);
      } else if (ch.state === LWSTMC_PENDING_CREATE_CHANNEL_ACK) {
        h[0] = LWSSSS_LLM_CHANNEL_ACK;
        h[1] = ch.index;
        this.#put(2);
        ch.state = LWSTMC_OPERATIONAL;
        this.stats.opened++;
        const f = this.#o.onChannel;
        if (f) this.guard(() => f(ch), "onChannel");
        else this.closeChannel(ch);
      }
    }
    // data, round-robin from the channel after the last one served
    const count = chs.length;
    for (let k = 0; k < count && tx.free > 4; k++) {
      const ch = chs[(this.#rr + k) % count];
      if (!ch || ch.state !== LWSTMC_OPERATIONAL) continue;
      let n = ch.tx.available;
      if (n > 0 && ch.align) n = this.#aligned(ch, n, tx.free - 4);
      if (n > 0) {
        if (n > this.#maxPayload) n = this.#maxPayload;
        if (n > tx.free - 4) n = tx.free - 4;
        h[0] = LWSSSS_LLM_MUX;
        h[1] = ch.index;
        h[2] = n >> 8;
        h[3] = n & 0xff;
        this.#put(4);
        ch.tx.readTo((view) => tx.write(view), n);
        if (!ch.closing && notify.indexOf(ch) < 0) notify.push(ch);
        this.#rr = (this.#rr + k + 1) % count;
        if (ch.tx.available > 0) this.#outAgain = true;
      }
      if (ch.closing && ch.tx.available === 0 && tx.free >= 2) {
        h[0] = LWSSSS_LLM_CHANNEL_NACK; // lws' FIN
        h[1] = ch.index;
        this.#put(2);
        this.#destroy(ch);
        this.#outAgain = true;
        break; // the list changed
      }
    }
  }

  /** How much of ch.tx to send now so that a MUX frame ends where an SS frame does: whole frames that fit (at
   * least one), 0 to wait for the rest of a frame or for room; a frame longer than maxPayload goes in pieces. */
  #aligned(ch: MuxChannel, available: number, room: number): number {
    const limit = room < this.#maxPayload ? room : this.#maxPayload;
    if (ch.rest > 0) {
      let k = ch.rest < available ? ch.rest : available;
      if (k > limit) k = limit;
      ch.rest -= k;
      return k;
    }
    let n = 0;
    while (n + 3 <= available) {
      ch.tx.peek(this.#peek, n); // the frame's [type][u16 length]
      const len = 3 + ((this.#peek[1]! << 8) | this.#peek[2]!);
      if (len > this.#maxPayload && n === 0) { // it cannot go whole: in pieces
        let k = available < limit ? available : limit;
        if (k > len) k = len;
        ch.rest = len - k;
        return k;
      }
      if (n + len > available || n + len > limit) break;
      n += len;
    }
    return n;
  }

  /** The tx ring to the link, never past what onWritable reported. */
  #flush(): void {
    const socket = this.#socket;
    if (!socket || this.#linkWritable <= 0 || this.#tx.available === 0) return;
    const sent = this.#tx.readTo((view) => {
      socket.write(view);
      return view.length;
    }, this.#linkWritable);
    this.#linkWritable -= sent;
    this.stats.bytesOut += sent;
  }
}

/** A mux over `options.link`: the client's side (role "client") or the proxy's (role "proxy"). */
export function openMux(options: MuxOptions): Mux {
  return new Mux(options);
}
