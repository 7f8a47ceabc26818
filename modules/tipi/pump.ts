// tipi/pump: the link side of the TIPI TLS extension. It owns the link (any ECMA-419 byte stream: a TCP socket from
// tipi/tcp-link, a UART from tipi/uart-link; it never knows which), the link's receive ring, the reply ring, the
// framing, and the order of requests and replies: it decodes one request at a time (tipi/protocol), hands it to
// the handles (tipi/handles), and sends the replies in request order.
//
// What it survives: bytes are never read from the link beyond what onReadable reported, nor written beyond what
// onWritable reported. When the reply ring cannot take the largest reply, requests wait in the receive ring; when
// that is full the link is not read: the host is held back by the link itself. A bad request (tipi/protocol says
// why) is answered BAD and logged; a frame longer than maxFrame is answered at once and its bytes skipped as they
// arrive. The link going away drops unread requests and unsent replies. An exception (a bug) is logged and resets
// the link's state; it never escapes into the link's callbacks.
//
// Memory, fixed at construction: receive ring maxFrame + 2 bytes, reply ring 2 x (maxReply + 2), decode scratch
// maxHostname + 9. The reply ring holds records in the link's own framing ([length u16 BE][message]), so replies
// go to the link straight out of it, and a read's bytes go from the connection into it, with no copy in between.
import Ring from "ring";
import {
  Request, decodeFrame, decodeRequest, describe, frameLength,
  OK, OPEN, CLOSE, WRITE, READ, GOOD, BAD, NEED_MORE, TOO_LONG, EXTENSION_TLS,
  FRAME_HEADER, REQUEST_HEADER, READ_LENGTH, PORT_DIGITS_MAX,
} from "tipi/protocol";

/** The link: an ECMA-419 byte stream. Its owner forwards onReadable/onWritable/onError to the pump. */
export type Link = {
  /** Fill the whole view (it is never longer than the last onReadable count allows); returns the count. */
  read(into: Uint8Array): unknown;
  /** Send the bytes (never more than the last onWritable count allows). */
  write(bytes: Uint8Array): unknown;
};

/** What the pump hands each well-formed request to (tipi/handles). A request answers through the pump. */
export interface Requests {
  /** True while a request is being answered over time (an open, a write, a close): the next one waits. */
  readonly busy: boolean;
  /** Handles open now (for the log). */
  readonly openHandles: number;
  open(handle: number, host: string, port: number): void;
  write(handle: number, size: number): void;
  read(handle: number, size: number): void;
  close(handle: number): void;
  /** The link went away: a request under way stops (its reply has nowhere to go). */
  linkLost(): void;
}

export function why(error: unknown): string {
  const coded = error as { code?: unknown; message?: unknown };
  if (error instanceof Error && typeof coded.code === "string") return `${coded.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

export class Pump {
  readonly #maxFrame: number;
  readonly #maxReply: number;
  readonly #maxHostname: number;
  #requests: Requests | undefined;

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

  constructor(maxFrame: number, maxReply: number, maxHostname: number) {
    this.#maxFrame = maxFrame;
    this.#maxReply = maxReply;
    this.#maxHostname = maxHostname;
    this.#rx = new Ring(FRAME_HEADER + maxFrame);
    this.#replies = new Ring(2 * (FRAME_HEADER + maxReply));
    this.#scratch = new Uint8Array(REQUEST_HEADER + maxHostname + 1 + PORT_DIGITS_MAX);
  }

  /** Who answers the requests (set once, before the first link). */
  serve(requests: Requests): void { this.#requests = requests; }

  get attached(): boolean { return this.#link !== undefined; }

  /** Start serving a link. A link already attached is dropped first (its owner decided the new one wins). */
  attach(link: Link): void {
    if (this.#link) this.#drop("replaced by a newer one");
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

  /** The link's onError(), or its owner dropping it: forget it (handles stay open for the next link). */
  linkLost(reason = "lost"): void {
    if (this.#link) this.#drop(reason);
  }

  // ---- for the requests (tipi/handles): answers, and the data of a write ----

  /** Queue a one-byte GOOD/BAD reply (room was reserved before the request was handed over). */
  status(good: boolean): void {
    if (!this.#link) return;
    const status = this.#status;
    status[0] = 0;
    status[1] = 1;
    status[2] = good ? GOOD : BAD;
    this.#replies.write(status);
  }

  /**
   * Queue a read reply of exactly n bytes (n <= maxReply) taken from `source` (a connection's read). Should the
   * source deliver fewer (it cannot: n is what it said it holds), the frame is padded so the link stays in step.
   */
  readReply(n: number, source: ((view: Uint8Array) => number) | undefined): void {
    if (!this.#link) return;
    const header = this.#frameHeader;
    header[0] = n >>> 8;
    header[1] = n & 0xff;
    const replies = this.#replies;
    replies.write(header);
    if (n === 0 || !source) return;
    let got = 0;
    try {
      got = replies.writeFrom(source, n);
    } catch (error) {
      trace(`tipi: read: ${why(error)}\n`);
    }
    if (got < n) {
      trace(`tipi: internal error: read: ${n} bytes promised, ${got} delivered; padded with zeros\n`);
      const zero = this.#head.fill(0);
      while (got < n) got += replies.write(zero, 0, n - got < zero.length ? n - got : zero.length);
    }
  }

  /**
   * The receive ring. While a write is under way its data (what is left of it) is at the ring's head: the handles
   * move it to the connection with `readTo` and drop what will not go with `skip`; nothing else reads it then.
   */
  get writeData(): Ring { return this.#rx; }

  /** A request that took time has been answered: carry on with the next one. */
  resume(): void {
    this.#service();
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
        const moved = this.#pullLink() + this.#dispatchAll() + this.#flushLink();
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

  /** Hand over whole requests while none is under way and the reply ring has room; returns progress made. */
  #dispatchAll(): number {
    const rx = this.#rx;
    const requests = this.#requests!;
    let frames = 0;
    while (this.#link && !requests.busy) {
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
        this.status(false);
        continue;
      }
      this.#dispatch(length, requests);
    }
    return frames;
  }

  #dispatch(length: number, requests: Requests): void {
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
      trace(`tipi: bad request (${describe(status)}): ${length} bytes${preview(message, held)} -> 0\n`);
      this.status(false);
      return;
    }
    if (request.command === WRITE) {
      // the data stays in the receive ring and moves straight to the connection's tx ring
      rx.skip(FRAME_HEADER + REQUEST_HEADER);
      requests.write(request.handle, request.dataLength);
      return;
    }
    rx.skip(FRAME_HEADER + length); // open's hostname is in the scratch copy; read and close are decoded
    if (request.command === READ) requests.read(request.handle, request.size);
    else if (request.command === CLOSE) requests.close(request.handle);
    else {
      let host = "";
      for (let i = request.hostOffset, end = request.hostOffset + request.hostLength; i < end; i++) {
        host += String.fromCharCode(message[i]!);
      }
      requests.open(request.handle, host, request.port);
    }
  }

  /** Forget the link: unread requests and unsent replies go; a request under way stops. */
  #drop(reason: string): void {
    trace(`tipi: link ${reason}: ${this.#rx.available} unread request bytes and ${this.#replies.available} unsent reply bytes dropped; ${this.#requests?.openHandles ?? 0} handles stay open\n`);
    this.#link = undefined;
    this.#linkReadable = this.#linkWritable = 0;
    this.#requests?.linkLost();
    this.#rx.clear();
    this.#replies.clear();
    this.#discard = 0;
  }
}

function preview(message: Uint8Array, held: number): string {
  let text = "";
  const n = held < 8 ? held : 8;
  for (let i = 0; i < n; i++) text += (i ? " " : ", starting ") + (message[i]! < 16 ? "0" : "") + message[i]!.toString(16);
  return text;
}
