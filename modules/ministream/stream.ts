// ministream/stream: one stream of a tunnel. Owns its two fixed rings (allocated once, when the stream opens), its
// state (one table of legal transitions, one function applying it), its flow-control credit both ways, the
// messages it owes the link (SYN, ACK, WINDOW, data, Close: at most one of each kind pending, as flags, so nothing
// queues up) and its pending waits.
//
// Apps use the public, non-blocking API, the TLS client's shape (ministream/connection): write() takes what fits in
// the tx ring (0 when full), read() gives what the rx ring holds, wait(timeout) is the only call that waits,
// close(), and failures are MinistreamErrors. Streams the peer opened are not handed to apps: the tunnel bridges
// them to the tunnel's service (ministream/bridge).
//
// Backpressure (README, "Backpressure"): a stream may send only as many data bytes as the peer has granted. Each
// end starts with INITIAL_WINDOW of credit; as the app (or the bridge) reads bytes out of the rx ring, they are
// granted back with a WINDOW message once half the ring has been read. So the bytes in flight for a stream never
// exceed its receiver's ring: the tunnel's link reader always has room for a data message and never waits on one
// stream, and one stream left unread stops only its own sender. Data past the credit is a protocol error that
// closes that stream alone.
import Ring from "ring";
import Timer from "timer";
import {
  C2S_SEND_DATA, C2S_CLOSE, C2S_WINDOW, S2C_SEND_DATA, S2C_CLOSE, S2C_WINDOW, FRAME_HEADER, INITIAL_WINDOW,
  MAX_WINDOW, ACK_PAYLOAD, WINDOW_PAYLOAD, encodeSyn, encodeAck, encodeClose, encodeWindow, encodeHeader, idText,
} from "ministream/protocol";
import {
  MinistreamError, type MinistreamErrorCode, MS_BAD_ARGUMENT, MS_CLOSED, MS_TIMEOUT, MS_REFUSED, MS_LINK_LOST,
} from "ministream/errors";
import { Waiters, type WaitFor, type WaitResult } from "ministream/connection";

/** connecting: SYN sent, no ACK yet (client) / service connecting (server). closing: Close owed, tx draining. */
export type StreamState = "connecting" | "open" | "closing" | "closed" | "failed";

/** The legal transitions; #to() refuses any other. */
const NEXT: { readonly [S in StreamState]: readonly StreamState[] } = {
  connecting: ["open", "closing", "closed", "failed"],
  open: ["closing", "closed", "failed"],
  closing: ["closed", "failed"],
  closed: [],
  failed: [],
};

/** A data message smaller than this is not cut to fit the link's tx ring (unless the data is that small). */
const MIN_SPLIT = 64;

/** What the tunnel provides its streams. */
export interface StreamHost {
  /** Something changed that the link may carry: call emit() soon. */
  kick(): void;
  /** The stream needs its ids no more (and its slot, unless held). */
  release(stream: MiniStream): void;
  readonly tag: string;
}

export type StreamOptions = {
  rxSize: number;
  txSize: number;
  /** A client stream's SYN payload. */
  key?: Uint8Array;
  /** Client: the ACK must come within this (ms). */
  connectTimeout: number;
  /** close() sends what the tx ring holds first, for at most this long (ms). */
  lingerTimeout: number;
};

export class MiniStream {
  /** "client": this end sent the SYN. "server": the peer did, and the tunnel's service serves it. */
  readonly role: "client" | "server";
  readonly #host: StreamHost;
  readonly #rx: Ring;
  readonly #tx: Ring;
  readonly #rxSize: number;
  readonly #key: Uint8Array | undefined;
  readonly #lingerTimeout: number;
  readonly #waiters = new Waiters();
  #state: StreamState = "connecting";
  #error: MinistreamError | undefined;
  readonly #localId: number;
  #remoteId = 0;
  #peerClosed = false;
  /** Data bytes this end may still send. */
  #credit = 0;
  /** Data bytes the peer may still send (what we granted minus what came). */
  #peerCredit = 0;
  /** Bytes read out of rx and not yet granted back. */
  #owed = 0;
  #grantNow = false;
  #synOwed = false;
  #ackOwed = false;
  #closeOwed = false;
  #timer: Timer | undefined;
  #released = false;
  /** Where emit() is writing (the tunnel's link tx ring), for #toOut. */
  #out: Ring | undefined;
  readonly #toOut = (view: Uint8Array): number => this.#out!.write(view);
  /** The tunnel's slot index. */
  slot = -1;
  /** A server stream is held by its bridge until the service connection is done with. */
  held = false;
  /** Called (synchronously, by the tunnel) whenever bytes, room or state changed: the bridge's hook. */
  onChange: ((stream: MiniStream) => void) | undefined;

  constructor(host: StreamHost, role: "client" | "server", localId: number, options: StreamOptions) {
    this.#host = host;
    this.role = role;
    this.#localId = localId;
    this.#rxSize = options.rxSize;
    this.#rx = new Ring(options.rxSize);
    this.#tx = new Ring(options.txSize);
    this.#key = options.key;
    this.#lingerTimeout = options.lingerTimeout;
    if (role === "client") {
      this.#synOwed = true;
      this.#timer = Timer.set(() => {
        this.#timer = undefined;
        if (this.#state === "connecting") {
          this.fail(MS_TIMEOUT, `no ACK to the SYN of ${idText(localId)} within ${options.connectTimeout} ms`, false);
        }
      }, options.connectTimeout);
    }
  }

  // ---- the app's API: the TLS client's shape ----

  get state(): StreamState { return this.#state; }
  get error(): MinistreamError | undefined { return this.#error; }
  /** The stream's ids: the client id is the SYN's, the server id the ACK's (0 until known). */
  get clientId(): number { return this.role === "client" ? this.#localId : this.#remoteId; }
  get serverId(): number { return this.role === "client" ? this.#remoteId : this.#localId; }
  /** Done with the link: nothing more to send or receive (its ids are free). */
  get finished(): boolean { return this.#released; }
  /** The peer closed the stream (what it sent before stays readable). */
  get peerClosed(): boolean { return this.#peerClosed; }

  isOpen(): boolean { return this.#state === "open"; }

  /** Bytes ready for read(). Throws the stream's error, or MS_CLOSED, once it is over and nothing is left. */
  bytesAvailable(): number {
    const n = this.#rx.available;
    if (n === 0) this.#throwIfDone();
    return n;
  }

  /** Copies up to `length` received bytes into `into`; returns the count (0: nothing yet). */
  read(into: Uint8Array, offset = 0, length = into.byteLength - offset): number {
    if (!(into instanceof Uint8Array)) throw new MinistreamError(MS_BAD_ARGUMENT, "read wants a Uint8Array");
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > into.byteLength) {
      throw new MinistreamError(MS_BAD_ARGUMENT, "read: offset/length outside the buffer");
    }
    const n = this.#rx.read(into, offset, length);
    if (n === 0) {
      if (length > 0) this.#throwIfDone();
      return 0;
    }
    this.#consumed(n);
    return n;
  }

  /**
   * Zero-copy read: offers the received bytes, at most `max`, as views into the rx ring; `sink(view)` returns how
   * many it consumed (Ring.readTo). Returns the total. Throws as read() once over and empty.
   */
  readTo(sink: (view: Uint8Array) => number, max?: number): number {
    const n = this.#rx.readTo(sink, max);
    if (n === 0) {
      if (this.#rx.available === 0) this.#throwIfDone();
      return 0;
    }
    this.#consumed(n);
    return n;
  }

  /** Queues bytes for the peer: returns how many the tx ring took (0 when full). Never blocks. */
  write(bytes: Uint8Array, offset = 0, length = bytes.byteLength - offset): number {
    if (!(bytes instanceof Uint8Array)) throw new MinistreamError(MS_BAD_ARGUMENT, "write wants a Uint8Array");
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > bytes.byteLength) {
      throw new MinistreamError(MS_BAD_ARGUMENT, "write: offset/length outside the buffer");
    }
    this.#throwIfNotWritable();
    const n = this.#tx.write(bytes, offset, length);
    if (n > 0 && this.#credit > 0 && this.#state === "open") this.#host.kick();
    return n;
  }

  /** Zero-copy write: `source(view)` fills views of the tx ring's free space (Ring.writeFrom). Returns the total. */
  writeFrom(source: (view: Uint8Array) => number, max?: number): number {
    this.#throwIfNotWritable();
    const n = this.#tx.writeFrom(source, max);
    if (n > 0 && this.#credit > 0 && this.#state === "open") this.#host.kick();
    return n;
  }

  /** Bytes the tx ring can still take. */
  get writable(): number { return this.#state === "connecting" || this.#state === "open" ? this.#tx.free : 0; }
  /** Bytes queued in the tx ring, not yet on the link. */
  get pending(): number { return this.#tx.available; }
  /** Bytes in the rx ring (bytesAvailable() without its throw). */
  get readable(): number { return this.#rx.available; }
  /** Data bytes this end may send before the peer grants more. */
  get credit(): number { return this.#credit; }

  /**
   * Resolves when something changes or after timeoutMs: the only call that waits. `until` narrows it: "readable"
   * (bytes to read), "writable" (room in the tx ring); a state change or the timeout ends any wait. It resolves at
   * once when what it waits for is already there, or the stream is over.
   */
  wait(timeoutMs: number, until: WaitFor = "any"): Promise<WaitResult> {
    let now: WaitResult | undefined;
    if (until !== "writable" && this.#rx.available > 0) now = "readable";
    else if (until === "writable" && this.#tx.free > 0 && this.#state === "open") now = "writable";
    else if (this.#state === "closing" || this.#state === "closed" || this.#state === "failed") now = "state";
    return this.#waiters.add(timeoutMs, until, now);
  }

  /**
   * Closes the stream. What the tx ring holds is sent first (for at most lingerTimeout), then the Close; what the
   * rx ring holds is dropped. Closing a stream whose SYN is unanswered sends nothing (a late ACK is answered with a
   * Close). Never throws.
   */
  close(): void {
    const state = this.#state;
    if (state === "closing" || state === "closed" || state === "failed") return;
    this.#rx.clear();
    if (state === "connecting" && this.role === "client") {
      this.#synOwed = false;
      this.#to("closed");
      this.#finish();
      return;
    }
    this.#closeOwed = true;
    this.#to("closing");
    if (this.#tx.available > 0) this.#linger();
    this.#host.kick();
  }

  // ---- the tunnel's side (not for apps) ----

  /** Client: the peer ACKed with `serverId`. */
  acked(serverId: number): void {
    this.#clearTimer();
    this.#remoteId = serverId;
    this.#open();
  }

  /** Server: the service is up: the ACK (with this stream's server id) is owed. */
  accept(): void {
    if (this.#state !== "connecting") return;
    this.#ackOwed = true;
    this.#open();
  }

  /** Server: set the peer's client id (from its SYN). */
  setRemote(clientId: number): void {
    this.#remoteId = clientId;
  }

  /** Server: the service is not there: answer the SYN with a Close (the seed's conversation a). */
  refuse(reason: string): void {
    if (this.#state !== "connecting") return;
    trace(`${this.#host.tag}: SYN ${idText(this.#remoteId)} refused: ${reason}\n`);
    this.#closeOwed = true;
    this.#to("closing");
    this.#host.kick();
  }

  /**
   * A data message of `n` bytes arrived: "" when it is to be delivered (receive() takes the bytes), "drop" when it
   * is to be skipped quietly (this end closed the stream; the peer had not seen the Close yet), or why it breaks
   * the protocol.
   */
  checkData(n: number): string {
    const state = this.#state;
    if (state === "closing") return "drop";
    if (state !== "open") return `data for a stream that is ${state === "connecting" ? "not ACKed yet" : state}`;
    if (n > this.#peerCredit) return `${n} data bytes with only ${this.#peerCredit} granted (the peer ignored the window)`;
    this.#peerCredit -= n;
    return "";
  }

  /** Takes delivered data bytes into the rx ring (checkData said ""). Returns the count taken (all of view). */
  receive(view: Uint8Array): number {
    return this.#rx.write(view);
  }

  /** Tells waiters and the bridge that received bytes are ready (after a run of receive()). */
  received(): void {
    this.#waiters.wake("readable");
    this.onChange?.(this);
  }

  /** A WINDOW granting `increment`: "" or why it breaks the protocol. */
  grant(increment: number): string {
    if (this.#state === "connecting") return "WINDOW for a stream that is not ACKed yet";
    if (increment < 1 || this.#credit + increment > MAX_WINDOW) {
      return `WINDOW of ${increment} (credit would be ${this.#credit + increment}, at most ${MAX_WINDOW})`;
    }
    if (this.#state !== "open" && this.#state !== "closing") return "";
    this.#credit += increment;
    if (this.#tx.available > 0) this.#host.kick();
    return "";
  }

  /** The peer's Close arrived. */
  peerClose(): void {
    const state = this.#state;
    if (state === "closed" || state === "failed") return;
    this.#peerClosed = true;
    this.#closeOwed = false;
    this.#ackOwed = false;
    this.#tx.clear();
    this.#clearTimer();
    if (state === "connecting" && this.role === "client") {
      this.#fail(new MinistreamError(MS_REFUSED, `the server refused the SYN of ${idText(this.#localId)} with a Close (the service is not there)`));
      return;
    }
    this.#to("closed");
    this.#finish();
  }

  /**
   * Fails the stream with `code` and a logged reason; `sendClose` owes the peer a Close (when its id is known) so
   * its end is torn down too. Bytes already received stay readable; the error is thrown once they are read.
   */
  fail(code: MinistreamErrorCode, reason: string, sendClose: boolean): void {
    const state = this.#state;
    if (state === "closed" || state === "failed") return;
    trace(`${this.#host.tag}: stream ${idText(this.#localId)} ${code} ${reason}\n`);
    this.#ackOwed = false;
    this.#synOwed = false;
    this.#closeOwed = sendClose && this.#remoteId !== 0;
    this.#tx.clear();
    this.#fail(new MinistreamError(code, reason));
    if (this.#closeOwed) this.#host.kick();
  }

  /** The tunnel lost its link: nothing more can be sent or received. */
  linkLost(reason: string): void {
    this.#closeOwed = false;
    this.#synOwed = false;
    this.#ackOwed = false;
    this.#grantNow = false;
    if (this.#state === "closed" || this.#state === "failed") {
      this.#finish();
      return;
    }
    this.#tx.clear();
    this.#fail(new MinistreamError(MS_LINK_LOST, `the tunnel's link is gone (${reason})`));
  }

  /** Something is owed to the link that can go now. */
  wantsToSend(): boolean {
    if (this.#synOwed || this.#ackOwed) return true;
    if (this.#remoteId === 0) return false;
    if (this.#grantNow) return true;
    const state = this.#state;
    if ((state === "open" || state === "closing") && this.#credit > 0 && this.#tx.available > 0) return true;
    return this.#closeOwed && (this.#tx.available === 0 || state === "failed");
  }

  /**
   * Writes the next message this stream owes into `out` (the link's tx ring), using `scratch` for its header; at
   * most one message, data no longer than maxPayload. Returns false when nothing is owed or it does not fit yet.
   * Order: SYN or ACK, WINDOW, data, Close (after the data, or after lingerTimeout without credit).
   */
  emit(out: Ring, scratch: Uint8Array, maxPayload: number): boolean {
    const client = this.role === "client";
    if (this.#synOwed) {
      const key = this.#key!;
      if (out.free < FRAME_HEADER + key.byteLength) return false;
      out.write(scratch, 0, encodeSyn(scratch, 0, this.#localId, key));
      this.#synOwed = false;
      return true;
    }
    if (this.#ackOwed) {
      if (out.free < FRAME_HEADER + ACK_PAYLOAD) return false;
      out.write(scratch, 0, encodeAck(scratch, 0, this.#remoteId, this.#localId));
      this.#ackOwed = false;
      return true;
    }
    if (this.#remoteId === 0) return false;
    if (this.#grantNow) {
      if (out.free < FRAME_HEADER + WINDOW_PAYLOAD) return false;
      const increment = this.#owed;
      out.write(scratch, 0, encodeWindow(scratch, 0, client ? C2S_WINDOW : S2C_WINDOW, this.#remoteId, increment));
      this.#peerCredit += increment;
      this.#owed = 0;
      this.#grantNow = false;
      return true;
    }
    const state = this.#state;
    const tx = this.#tx;
    if ((state === "open" || state === "closing") && this.#credit > 0 && tx.available > 0) {
      let n = tx.available;
      if (n > this.#credit) n = this.#credit;
      if (n > maxPayload) n = maxPayload;
      const room = out.free - FRAME_HEADER;
      if (room < n) {
        if (room < MIN_SPLIT) return false;
        n = room;
      }
      out.write(scratch, 0, encodeHeader(scratch, 0, client ? C2S_SEND_DATA : S2C_SEND_DATA, this.#remoteId, n));
      this.#out = out;
      tx.readTo(this.#toOut, n);
      this.#credit -= n;
      this.#waiters.wake("writable");
      this.onChange?.(this);
      return true;
    }
    if (this.#closeOwed && (tx.available === 0 || state === "failed")) {
      if (out.free < FRAME_HEADER) return false;
      out.write(scratch, 0, encodeClose(scratch, 0, client ? C2S_CLOSE : S2C_CLOSE, this.#remoteId));
      this.#closeOwed = false;
      tx.clear();
      if (state === "closing") this.#to("closed");
      this.#finish();
      return true;
    }
    return false;
  }

  // ---- inside ----

  #open(): void {
    this.#credit = INITIAL_WINDOW;
    this.#peerCredit = INITIAL_WINDOW;
    if (this.#rxSize > INITIAL_WINDOW) {
      // A ring bigger than the window both ends assume: grant the rest at once.
      this.#owed = this.#rxSize - INITIAL_WINDOW;
      this.#grantNow = true;
    }
    this.#to("open");
    this.#host.kick();
  }

  #consumed(n: number): void {
    if (this.#state !== "open") return;
    this.#owed += n;
    if (!this.#grantNow && this.#owed >= this.#rxSize >> 1) {
      this.#grantNow = true;
      this.#host.kick();
    }
  }

  #linger(): void {
    this.#clearTimer();
    this.#timer = Timer.set(() => {
      this.#timer = undefined;
      if (this.#closeOwed && this.#tx.available > 0) {
        trace(`${this.#host.tag}: stream ${idText(this.#localId)} closing with ${this.#tx.available} bytes unsent after ${this.#lingerTimeout} ms\n`);
        this.#tx.clear();
        this.#host.kick();
      }
    }, this.#lingerTimeout);
  }

  #to(next: StreamState): void {
    const from = this.#state;
    if (from === next) return;
    if (NEXT[from].indexOf(next) < 0) throw new Error(`ministream: no transition ${from} -> ${next}`);
    this.#state = next;
    this.#waiters.wake("state", NEXT[next].length === 0);
    this.onChange?.(this);
  }

  #fail(error: MinistreamError): void {
    this.#error = error;
    this.#clearTimer();
    this.#to("failed");
    if (!this.#closeOwed) this.#finish();
  }

  /** Done with the link: the ids go (and the slot, unless held). */
  #finish(): void {
    this.#clearTimer();
    if (this.#released) return;
    this.#released = true;
    this.#host.release(this);
  }

  #clearTimer(): void {
    if (this.#timer) Timer.clear(this.#timer);
    this.#timer = undefined;
  }

  #throwIfDone(): void {
    if (this.#error) throw this.#error;
    const state = this.#state;
    if (state === "closed" || state === "closing") {
      throw new MinistreamError(MS_CLOSED, this.#peerClosed
        ? "the peer closed the stream; the bytes it sent before have been read"
        : "stream closed");
    }
  }

  #throwIfNotWritable(): void {
    if (this.#error) throw this.#error;
    const state = this.#state;
    if (state === "closing" || state === "closed") {
      throw new MinistreamError(MS_CLOSED, this.#peerClosed ? "the peer closed the stream" : "stream closed");
    }
  }
}
