// tipi: the device side of the TIPI TLS extension (raw extension 0x24; wire format in tipi/protocol). A host sends
// length-framed requests over a link, any ECMA-419 byte stream (a TCP socket taken from a listener in the
// simulator, a UART on a board: tipi/server or a board's main picks it, this module never knows which); the device
// answers each with one frame, in request order, and runs up to `maxHandles` TLS connections (modules/tls) on the
// host's handles 0-255.
//
// Memory is fixed: the link has one receive ring (one frame of maxFrame), one reply ring (two of the largest
// reply, min(maxFrame, rxSize)), and each open handle has the rx/tx rings of its TLSConnection, sized at open.
// Bytes are never read from the link beyond what onReadable reported, nor written beyond what onWritable
// reported; when the reply ring cannot take the largest reply, requests wait in the receive ring, and when that
// is full the link is not read: the host is held back by the link itself. Nothing is dropped.
// The reply queue is a Ring of records in FrameRing's layout, which is the link's framing itself ([length u16 BE]
// [message]): replies go to the link straight out of it in pieces as small as onWritable allows, and a read's
// bytes go from the connection's rx ring into it with no copy in between (a FrameRing pops whole records only).
// Certificates are always verified against the configured CA (the reference TlsSocket.py verifies nothing).
//
// Decisions (README.md, "Behaviour" says the same):
// - One request at a time, answered in order. An open replies only when the handshake has finished or failed
//   (at most connectTimeout); a write replies when all its bytes are in the tx ring. Meanwhile later requests
//   wait (the TI waits for each reply anyway); connections keep moving bytes in the background.
// - Close lets the bytes still in the handle's tx ring go to the socket first (a write answered GOOD when its
//   bytes were taken, so a close right behind it must not cut them; at most writeTimeout without progress), then
//   closes and answers GOOD (also for a handle that is not open, as the wiki says).
// - Open on a handle that is already open closes the old connection first (as TlsSocket.py does), then opens.
//   Over maxHandles open handles, an open answers BAD with a logged reason; a handle whose connection has ended
//   and whose bytes were all read does not count (it is released first).
// - A write larger than the free tx space does not fail: the device moves its bytes into the tx ring as the
//   connection sends, and answers GOOD when the last byte is in. No byte is lost and none is sent twice. It
//   answers BAD when the handle is not open or the peer closed (nothing of it taken), when the connection fails
//   during it, or when no byte of it could be taken for writeTimeout ms. After such a timeout a write that had
//   been partly taken closes the handle (the stream would have a hole); one with nothing taken leaves it open.
//   A write with no data is a probe: GOOD while the connection is open, BAD once it is not.
// - The peer closing: bytes it sent stay readable. From the close on, a write answers BAD (so a host learns of
//   the close by a write, as the wiki says, and a zero-length write asks without sending anything); after that,
//   the first read that returns 0 bytes means every byte was delivered, and the handle is released.
// - Every bad request answers BAD (one byte 0) and logs a `tipi:` line; the link stays in step, no handle is
//   touched. A frame longer than maxFrame is answered at once and its bytes are skipped as they arrive.
// - The link going away (or a newer link taking over) drops unread requests and unsent replies; open handles
//   stay open for the next link, as they would over a UART. A pending open goes on (its reply is lost); a pending
//   write stops, closing its handle if part of it was taken.
import Ring from "ring";
import Timer from "timer";
import { connect, TLSConnection, TLSError, type Providers } from "tls/client";
import {
  Request, decodeFrame, decodeRequest, describe, frameLength,
  OK, OPEN, CLOSE, WRITE, READ, GOOD, BAD, NEED_MORE, TOO_LONG, EXTENSION_TLS,
  FRAME_HEADER, REQUEST_HEADER, READ_LENGTH, PORT_DIGITS_MAX, FRAME_LENGTH_MAX,
} from "tipi/protocol";

/** The link: an ECMA-419 byte stream. Its owner forwards onReadable/onWritable/onError to linkReadable/...). */
export type Link = {
  /** Fill the whole view (it is never longer than the last onReadable count allows); returns the count. */
  read(into: Uint8Array): unknown;
  /** Send the bytes (never more than the last onWritable count allows). */
  write(bytes: Uint8Array): unknown;
};

export type TipiOptions = Providers & {
  /** Trusted CA (DER) for every connection. Verification is always on. */
  ca: ArrayBuffer;
  /** Per-handle ring sizes, fixed at open (defaults 2048 / 1024). */
  rxSize?: number;
  txSize?: number;
  /** Most TLS connections open at once (default 4). */
  maxHandles?: number;
  /** Longest hostname an open accepts (default 253). */
  maxHostname?: number;
  /** Longest message a frame may carry, both directions (default 4096). */
  maxFrame?: number;
  /** Lookup + connect + handshake limit per open, ms (default 10000). */
  connectTimeout?: number;
  /** A write that can take no byte for this long answers BAD, ms (default 10000). */
  writeTimeout?: number;
};

export const DEFAULTS = {
  rxSize: 2048,
  txSize: 1024,
  maxHandles: 4,
  maxHostname: 253,
  maxFrame: 4096,
  connectTimeout: 10000,
  writeTimeout: 10000,
};

const HANDLES = 256;
const IDLE: number = 0;
const OPENING: number = 1;
const WRITING: number = 2;
const CLOSING: number = 3;
/**
 * While a request is pending a repeating ticker runs at this period: it retries a write (a connection with unread
 * bytes answers wait() at once, so waiting for tx room is polling then) and measures how long the request has
 * been stuck. Time is counted in ticks, never read from a clock: a late tick only makes a timeout later.
 */
const TICK_MS = 5;
/** A wait for tx room is renewed this often, so a wait left over from an earlier write ends soon. */
const WAIT_SLICE_MS = 100;
/** An open whose connection has not answered by connectTimeout plus this is given up here (a guard). */
const OPEN_GRACE_MS = 2000;

function integer(value: unknown, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`tipi: ${name} must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}

function why(error: unknown): string {
  if (error instanceof TLSError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

export class TipiServer {
  readonly #options: TipiOptions;
  readonly #rxSize: number;
  readonly #txSize: number;
  readonly #maxHandles: number;
  readonly #maxHostname: number;
  readonly #maxFrame: number;
  readonly #maxReply: number;
  readonly #connectTimeout: number;
  readonly #writeTimeout: number;

  // the link
  #link: Link | undefined;
  #linkReadable = 0;
  #linkWritable = 0;
  readonly #rx: Ring;
  readonly #replies: Ring;
  /** Bytes of an over-long frame still to skip. */
  #discard = 0;
  #servicing = false;
  #again = false;

  // decoding, without allocation per frame
  readonly #request = new Request();
  readonly #head = new Uint8Array(READ_LENGTH);
  readonly #scratch: Uint8Array;
  readonly #frameHeader = new Uint8Array(FRAME_HEADER);
  readonly #status = new Uint8Array(FRAME_HEADER + 1);
  readonly #fromLink = (view: Uint8Array): number => {
    const got = this.#link!.read(view);
    return typeof got === "number" && got >= 0 && got <= view.byteLength ? got : view.byteLength;
  };
  readonly #toLink = (view: Uint8Array): number => {
    this.#link!.write(view);
    return view.byteLength;
  };
  #source: TLSConnection | undefined;
  readonly #fromConnection = (view: Uint8Array): number => this.#source!.read(view);
  readonly #toConnection = (view: Uint8Array): number => this.#source!.write(view);

  // handles
  readonly #handles: (TLSConnection | undefined)[] = new Array(HANDLES);
  #openCount = 0;

  // the request in progress (one at a time)
  #pending: number = IDLE;
  #op = 0;
  #pendingHandle = 0;
  #writeConnection: TLSConnection | undefined;
  #writeSize = 0;
  #writeLeft = 0;
  #closing: TLSConnection | undefined;
  /** What to do once the closing connection is closed: reply to the close, or go on with an open. */
  #afterClose: (() => void) | undefined;
  #opening: TLSConnection | undefined;
  #openGivenUp = false;
  #ticker: ReturnType<typeof Timer.repeat> | undefined;
  /** Time the pending request has gone without progress, in ticks of TICK_MS. */
  #stuckMs = 0;
  readonly #onTick = () => this.#tick();
  /** A wait() for tx room ended (a stale one from an earlier request only causes one more look). */
  readonly #waited = () => {
    this.#waitingOn = undefined;
    this.#wake();
  };
  #waitingOn: TLSConnection | undefined;

  constructor(options: TipiOptions) {
    // A board's Resource is a host buffer, not an ArrayBuffer: accept any bytes with a length.
    if (!options || !options.ca || !(options.ca.byteLength > 0)) {
      throw new TypeError("tipi: options.ca (a DER CA certificate) is required");
    }
    this.#options = options;
    this.#rxSize = integer(options.rxSize, DEFAULTS.rxSize, "rxSize", 64, 1 << 20);
    this.#txSize = integer(options.txSize, DEFAULTS.txSize, "txSize", 64, 1 << 20);
    this.#maxHandles = integer(options.maxHandles, DEFAULTS.maxHandles, "maxHandles", 1, HANDLES);
    this.#maxHostname = integer(options.maxHostname, DEFAULTS.maxHostname, "maxHostname", 1, 253);
    this.#maxFrame = integer(options.maxFrame, DEFAULTS.maxFrame, "maxFrame", READ_LENGTH + 3, FRAME_LENGTH_MAX);
    this.#connectTimeout = integer(options.connectTimeout, DEFAULTS.connectTimeout, "connectTimeout", 1, 600000);
    this.#writeTimeout = integer(options.writeTimeout, DEFAULTS.writeTimeout, "writeTimeout", 1, 600000);
    this.#maxReply = Math.min(this.#maxFrame, this.#rxSize);
    this.#rx = new Ring(FRAME_HEADER + this.#maxFrame);
    this.#replies = new Ring(2 * (FRAME_HEADER + this.#maxReply));
    this.#scratch = new Uint8Array(REQUEST_HEADER + this.#maxHostname + 1 + PORT_DIGITS_MAX);
  }

  /** Open handles (connections that count against maxHandles). */
  get openHandles(): number { return this.#openCount; }
  /** The largest read reply this device sends: min(maxFrame, rxSize). */
  get maxReply(): number { return this.#maxReply; }

  /** Start serving a link. A link already attached is dropped first (the newest link wins). */
  attach(link: Link): void {
    if (this.#link) this.#drop("replaced by a new link");
    this.#link = link;
    this.#linkReadable = 0;
    this.#linkWritable = 0;
    trace("tipi: link up\n");
  }

  /** The link's onReadable(count). */
  linkReadable(count: number): void {
    if (!this.#link) return;
    this.#linkReadable = count > 0 ? count : 0;
    this.#service();
  }

  /** The link's onWritable(count). */
  linkWritable(count: number): void {
    if (!this.#link) return;
    this.#linkWritable = count > 0 ? count : 0;
    this.#service();
  }

  /** The link's onError(), or its owner dropping it: forget it; handles stay open for the next link. */
  linkLost(reason = "lost"): void {
    if (this.#link) this.#drop(reason);
  }

  /** Close every handle and drop the link. */
  close(): void {
    if (this.#link) this.#drop("closed");
    for (let h = 0; h < HANDLES; h++) if (this.#handles[h]) this.#release(h);
  }

  // ---- the link: read, decode, dispatch, reply ----

  /** Move bytes until nothing moves: link -> receive ring -> requests -> replies -> link. Never throws. */
  #service(): void {
    if (this.#servicing) {
      this.#again = true;
      return;
    }
    this.#servicing = true;
    try {
      for (;;) {
        this.#again = false;
        const moved = this.#pullLink() + this.#pump() + this.#flushLink();
        if (moved === 0 && !this.#again) break;
      }
    } catch (error) {
      // A bug, not a bad request (those are answered). Keep the device up and the link usable.
      trace(`tipi: internal error ${why(error)}; link state reset\n`);
      if (this.#link) {
        const link = this.#link;
        this.#drop("reset after an internal error");
        this.#link = link;
      }
    } finally {
      this.#servicing = false;
    }
  }

  #pullLink(): number {
    if (!this.#link) return 0;
    let total = 0;
    try {
      while (this.#linkReadable > 0 && this.#rx.free > 0) {
        const n = this.#rx.writeFrom(this.#fromLink, this.#linkReadable);
        if (n === 0) break;
        this.#linkReadable -= n;
        total += n;
      }
    } catch (error) {
      trace(`tipi: link read failed: ${why(error)}\n`);
      this.#linkReadable = 0;
    }
    return total;
  }

  #flushLink(): number {
    if (!this.#link) return 0;
    let total = 0;
    try {
      while (this.#linkWritable > 0 && this.#replies.available > 0) {
        const n = this.#replies.readTo(this.#toLink, this.#linkWritable);
        if (n === 0) break;
        this.#linkWritable -= n;
        total += n;
      }
    } catch (error) {
      // nothing of the refused view was consumed: it goes out on the next onWritable
      trace(`tipi: link write failed: ${why(error)}\n`);
      this.#linkWritable = 0;
    }
    return total;
  }

  /** Handle whole frames while no request is pending and the reply ring has room; returns progress made. */
  #pump(): number {
    const rx = this.#rx;
    let frames = 0;
    while (this.#link && this.#pending === IDLE) {
      if (this.#discard > 0) {
        const skipped = rx.skip(this.#discard < rx.available ? this.#discard : rx.available);
        this.#discard -= skipped;
        frames += skipped; // room made in the receive ring: the link may be read again
        if (this.#discard > 0) break;
        continue;
      }
      if (this.#replies.free < FRAME_HEADER + this.#maxReply) break;
      const header = this.#frameHeader;
      // the header is copied out; the rest of the stream is held in the ring behind it
      const length = decodeFrame(header, 0, rx.peek(header) < FRAME_HEADER ? 0 : rx.available, this.#maxFrame);
      if (length === NEED_MORE) break;
      frames++;
      if (length === TOO_LONG) {
        const announced = frameLength(header);
        rx.skip(FRAME_HEADER);
        this.#discard = announced;
        trace(`tipi: frame of ${announced} bytes is longer than maxFrame ${this.#maxFrame}: skipped -> 0\n`);
        this.#reply(false);
        continue;
      }
      this.#dispatch(length);
    }
    return frames;
  }

  #dispatch(length: number): void {
    const rx = this.#rx;
    const request = this.#request;
    let message: Uint8Array = this.#head;
    let held = rx.peek(message, FRAME_HEADER);
    if (length > REQUEST_HEADER && message[0] === EXTENSION_TLS && message[2] === OPEN) {
      message = this.#scratch;
      held = rx.peek(message, FRAME_HEADER);
    }
    if (held > length) held = length;
    const status = decodeRequest(message, held, length, request, this.#maxHostname);
    if (status !== OK) {
      rx.skip(FRAME_HEADER + length);
      trace(`tipi: bad request (${describe(status)}): ${length} bytes${this.#preview(message, held)} -> 0\n`);
      this.#reply(false);
      return;
    }
    if (request.command === WRITE) {
      // the data stays in the receive ring and moves straight to the connection's tx ring
      rx.skip(FRAME_HEADER + REQUEST_HEADER);
      this.#write(request.handle, request.dataLength);
      return;
    }
    rx.skip(FRAME_HEADER + length); // open's hostname is in the scratch copy; read and close are decoded
    if (request.command === READ) this.#read(request.handle, request.size);
    else if (request.command === CLOSE) this.#close(request.handle);
    else this.#open(request);
  }

  #preview(message: Uint8Array, held: number): string {
    let text = "";
    const n = held < 8 ? held : 8;
    for (let i = 0; i < n; i++) text += (i ? " " : ", starting ") + (message[i]! < 16 ? "0" : "") + message[i]!.toString(16);
    return text;
  }

  /** Queue a one-byte GOOD/BAD reply (room is checked before a request is taken). */
  #reply(good: boolean): void {
    const status = this.#status;
    status[0] = 0;
    status[1] = 1;
    status[2] = good ? GOOD : BAD;
    this.#replies.write(status);
  }

  // ---- the commands ----

  #read(handle: number, size: number): void {
    const connection = this.#handles[handle];
    let n = connection ? this.#readable(handle, connection) : 0;
    if (n > size) n = size;
    if (n > this.#maxReply) n = this.#maxReply;
    const header = this.#frameHeader;
    header[0] = n >>> 8;
    header[1] = n & 0xff;
    const replies = this.#replies;
    replies.write(header);
    if (n === 0) return;
    this.#source = connection;
    let got = 0;
    try {
      got = replies.writeFrom(this.#fromConnection, n);
    } catch (error) {
      trace(`tipi: read ${handle}: ${why(error)}\n`);
    }
    this.#source = undefined;
    if (got < n) {
      // Cannot happen (n <= bytesAvailable); keep the frame the length its header says.
      trace(`tipi: internal error: read ${handle}: ${n} bytes promised, ${got} delivered; padded with zeros\n`);
      const zero = this.#head.fill(0);
      while (got < n) got += replies.write(zero, 0, n - got < zero.length ? n - got : zero.length);
    }
  }

  #write(handle: number, size: number): void {
    const connection = this.#handles[handle];
    if (!connection || !connection.isOpen()) {
      this.#rx.skip(size);
      trace(`tipi: write ${handle}: ${connection ? this.#notOpen(connection) : "not open"}; ${size} bytes not taken -> 0\n`);
      if (connection) this.#readable(handle, connection); // releases it when nothing is left to read
      this.#reply(false);
      return;
    }
    if (size === 0) {
      this.#reply(true);
      return;
    }
    this.#pending = WRITING;
    this.#op++;
    this.#pendingHandle = handle;
    this.#writeConnection = connection;
    this.#writeSize = size;
    this.#writeLeft = size;
    this.#startTicker();
    this.#takeWrite();
  }

  /** Move what fits of the pending write into the tx ring; finish it, or wait for room. */
  #takeWrite(): void {
    const connection = this.#writeConnection!;
    const rx = this.#rx;
    const before = rx.available;
    let failure: string | undefined;
    this.#source = connection;
    try {
      // the connection flushes inside write() when its socket has room: offer again until nothing is taken
      for (let taken = 0; taken < this.#writeLeft;) {
        const n = rx.readTo(this.#toConnection, this.#writeLeft - taken);
        if (n === 0) break;
        taken += n;
      }
    } catch (error) {
      failure = why(error);
    }
    this.#source = undefined;
    const moved = before - rx.available; // also right when a throw cut a view short
    this.#writeLeft -= moved;
    if (failure === undefined && this.#writeLeft === 0) {
      this.#endWrite(true);
      return;
    }
    if (failure === undefined && !connection.isOpen()) failure = this.#notOpen(connection);
    const handle = this.#pendingHandle;
    if (failure !== undefined) {
      trace(`tipi: write ${handle}: ${failure} after ${this.#writeSize - this.#writeLeft} of ${this.#writeSize} bytes -> 0\n`);
      rx.skip(this.#writeLeft);
      if (this.#handles[handle] === connection) this.#readable(handle, connection);
      this.#endWrite(false);
      return;
    }
    if (moved > 0) this.#stuckMs = 0;
    else if (this.#stuckMs >= this.#writeTimeout) {
      this.#writeTimedOut();
      return;
    }
    this.#waitForRoom(connection);
  }

  #waitForRoom(connection: TLSConnection): void {
    let unread = 0;
    try {
      unread = connection.bytesAvailable();
    } catch {
      unread = 0;
    }
    // With nothing unread, wait() wakes us as soon as the connection sends (its tx ring frees); otherwise it
    // would answer at once, and the ticker retries instead.
    if (unread === 0 && this.#waitingOn !== connection) {
      this.#waitingOn = connection;
      connection.wait(WAIT_SLICE_MS).then(this.#waited, this.#waited);
    }
  }

  #startTicker(): void {
    this.#stuckMs = 0;
    if (!this.#ticker) this.#ticker = Timer.repeat(this.#onTick, TICK_MS);
  }

  #stopTicker(): void {
    if (this.#ticker) Timer.clear(this.#ticker);
    this.#ticker = undefined;
  }

  #tick(): void {
    if (this.#pending === IDLE) {
      this.#stopTicker();
      return;
    }
    this.#stuckMs += TICK_MS;
    if (this.#pending === WRITING || this.#pending === CLOSING) {
      this.#wake();
    } else if (this.#stuckMs > this.#connectTimeout + OPEN_GRACE_MS && this.#opening && !this.#openGivenUp) {
      // The connection's own connect timeout should have ended it: do not let the link hang on it.
      this.#openGivenUp = true;
      this.#opening.close();
    }
  }

  /** A wait or tick ended: carry on with the pending write, if there still is one. */
  #wake(): void {
    if ((this.#pending !== WRITING && this.#pending !== CLOSING) || this.#servicing) return;
    this.#servicing = true;
    try {
      if (this.#pending === WRITING) this.#takeWrite();
      else this.#drainClose();
    } catch (error) {
      trace(`tipi: internal error in a pending request: ${why(error)}\n`);
    } finally {
      this.#servicing = false;
    }
    if (this.#pending === IDLE) this.#service();
  }

  #writeTimedOut(): void {
    if (this.#pending !== WRITING) return;
    const handle = this.#pendingHandle;
    const taken = this.#writeSize - this.#writeLeft;
    this.#rx.skip(this.#writeLeft);
    if (taken === 0) {
      trace(`tipi: write ${handle}: no room in the tx ring for ${this.#writeTimeout} ms; nothing taken -> 0\n`);
    } else {
      trace(`tipi: write ${handle}: stalled for ${this.#writeTimeout} ms after ${taken} of ${this.#writeSize} bytes -> 0; handle closed (its stream would have a hole)\n`);
      if (this.#handles[handle] === this.#writeConnection) this.#release(handle);
    }
    this.#endWrite(false);
  }

  #endWrite(good: boolean): void {
    this.#endPending();
    if (this.#link) this.#reply(good);
  }

  #endPending(): void {
    this.#stopTicker();
    this.#writeConnection = this.#closing = undefined;
    this.#afterClose = undefined;
    this.#closingLeft = 0;
    this.#pending = IDLE;
  }

  #close(handle: number): void {
    this.#closeThen(handle, () => this.#reply(true));
  }

  /**
   * Close a handle's connection once the bytes in its tx ring have gone to the socket (a write answered [255]
   * when they were taken: they must not be lost by a close right behind it), then run `next`. Waits at most
   * writeTimeout without progress; the pipeline holds meanwhile.
   */
  #closeThen(handle: number, next: () => void): void {
    const connection = this.#handles[handle];
    if (!connection || !connection.isOpen() || connection.pending === 0) {
      if (connection) {
        this.#release(handle);
        trace(`tipi: close ${handle}: closed\n`);
      }
      next();
      return;
    }
    this.#pending = CLOSING;
    this.#op++;
    this.#pendingHandle = handle;
    this.#closing = connection;
    this.#afterClose = next;
    this.#startTicker();
    this.#drainClose();
  }

  /** The pending close: done when the tx ring is empty, the connection ended, or nothing moved for writeTimeout. */
  #drainClose(): void {
    const connection = this.#closing!;
    const handle = this.#pendingHandle;
    const left = connection.isOpen() ? connection.pending : 0;
    if (left > 0 && this.#stuckMs < this.#writeTimeout) {
      if (left < this.#closingLeft) this.#stuckMs = 0;
      this.#closingLeft = left;
      this.#waitForRoom(connection);
      return;
    }
    if (this.#handles[handle] === connection) this.#release(handle);
    trace(left > 0
      ? `tipi: close ${handle}: closed with ${left} bytes unsent (nothing moved for ${this.#writeTimeout} ms)\n`
      : `tipi: close ${handle}: closed after its tx ring drained\n`);
    const next = this.#afterClose!;
    this.#endPending();
    next();
  }
  #closingLeft = 0;

  #open(request: Request): void {
    const handle = request.handle;
    const port = request.port;
    let host = "";
    const bytes = this.#scratch;
    for (let i = request.hostOffset, end = request.hostOffset + request.hostLength; i < end; i++) {
      host += String.fromCharCode(bytes[i]!);
    }
    if (this.#handles[handle]) {
      trace(`tipi: open ${handle}: closing the connection already open on this handle\n`);
      this.#closeThen(handle, () => this.#connect(handle, host, port));
    } else {
      this.#connect(handle, host, port);
    }
  }

  #connect(handle: number, host: string, port: number): void {
    const target = `${host}:${port}`;
    if (this.#openCount >= this.#maxHandles) this.#sweep();
    if (this.#openCount >= this.#maxHandles) {
      trace(`tipi: open ${handle} ${target} -> refused: ${this.#openCount} handles open, maxHandles is ${this.#maxHandles}\n`);
      this.#reply(false);
      return;
    }
    const options = this.#options;
    let connection: TLSConnection;
    try {
      connection = connect(host, port, {
        ca: options.ca,
        rxSize: this.#rxSize,
        txSize: this.#txSize,
        connectTimeout: this.#connectTimeout,
        dns: options.dns,
        socket: options.socket,
        tag: `tls/${handle}`,
      });
    } catch (error) {
      trace(`tipi: open ${handle} ${target} -> failed ${why(error)}\n`);
      this.#reply(false);
      return;
    }
    this.#handles[handle] = connection;
    this.#openCount++;
    this.#pending = OPENING;
    this.#pendingHandle = handle;
    this.#opening = connection;
    this.#openGivenUp = false;
    this.#startTicker();
    const op = ++this.#op;
    this.#awaitOpen(handle, connection, target, op);
  }

  async #awaitOpen(handle: number, connection: TLSConnection, target: string, op: number): Promise<void> {
    let failure: string | undefined;
    try {
      while (connection.state === "resolving" || connection.state === "connecting") {
        await connection.wait(this.#connectTimeout + 1000);
      }
    } catch (error) {
      failure = `wait failed: ${why(error)}`;
      connection.close();
    }
    const givenUp = this.#opening === connection && this.#openGivenUp;
    if (this.#opening === connection) this.#opening = undefined;
    if (givenUp) failure = `TLS_TIMEOUT: no result within connectTimeout ${this.#connectTimeout} ms (given up by tipi)`;
    const ok = failure === undefined && connection.state === "open";
    if (ok) {
      trace(`tipi: open ${handle} ${target} -> ok\n`);
    } else {
      failure ??= connection.error ? why(connection.error) : `${connection.state} before it was open`;
      trace(`tipi: open ${handle} ${target} -> failed ${failure}\n`);
      if (this.#handles[handle] === connection) this.#release(handle);
    }
    if (this.#pending !== OPENING || this.#op !== op) {
      trace(`tipi: open ${handle}: its reply is dropped (the link it came on is gone)\n`);
      return;
    }
    this.#pending = IDLE;
    this.#stopTicker();
    this.#reply(ok);
    this.#service();
  }

  // ---- handles ----

  /** Bytes ready on a handle; releases the handle when its connection has ended and nothing is left to read. */
  #readable(handle: number, connection: TLSConnection): number {
    try {
      return connection.bytesAvailable();
    } catch (error) {
      trace(`tipi: handle ${handle} released: ${why(error)}\n`);
      if (this.#handles[handle] === connection) this.#release(handle);
      return 0;
    }
  }

  #notOpen(connection: TLSConnection): string {
    if (connection.error) return why(connection.error);
    if (connection.state === "open" || connection.state === "closed") return "closed by peer";
    return `still ${connection.state}`;
  }

  /** Release every handle whose connection has ended with nothing left to read. */
  #sweep(): void {
    for (let h = 0; h < HANDLES; h++) {
      const connection = this.#handles[h];
      if (!connection) continue;
      const state = connection.state;
      if (state !== "closed" && state !== "failed" && !(state === "open" && !connection.isOpen())) continue;
      this.#readable(h, connection);
    }
  }

  #release(handle: number): void {
    const connection = this.#handles[handle];
    if (!connection) return;
    this.#handles[handle] = undefined;
    this.#openCount--;
    if (this.#waitingOn === connection) this.#waitingOn = undefined;
    connection.close();
  }

  /** Forget the link: unread requests and unsent replies go; a pending request is abandoned. */
  #drop(reason: string): void {
    trace(`tipi: link ${reason}: ${this.#rx.available} unread request bytes and ${this.#replies.available} unsent reply bytes dropped; ${this.#openCount} handles stay open\n`);
    const handle = this.#pendingHandle;
    if (this.#pending === WRITING) {
      const taken = this.#writeSize - this.#writeLeft;
      if (taken > 0 && this.#handles[handle] === this.#writeConnection) {
        trace(`tipi: write ${handle}: cut off after ${taken} of ${this.#writeSize} bytes; handle closed\n`);
        this.#release(handle);
      }
    } else if (this.#pending === CLOSING) {
      if (this.#handles[handle] === this.#closing) this.#release(handle);
      trace(`tipi: close ${handle}: closed at once (the link went away)\n`);
    }
    this.#endPending(); // a pending open goes on by itself; its reply will be dropped
    this.#op++;
    this.#link = undefined;
    this.#linkReadable = this.#linkWritable = 0;
    this.#rx.clear();
    this.#replies.clear();
    this.#discard = 0;
  }
}
