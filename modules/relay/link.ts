// relay/link: one link through the relay to a peer's public key, as a byte stream with the non-blocking shape of
// tls/client (read / write / wait / close, fixed rings, coded errors). It owns the link's two rings, its state
// and the waits on it; the client (relay/client) owns the socket, the encryption and the connection ids, and moves
// bytes between the rings and the relay.
//
// States and the one table that judges them (every change is logged `relay: link <key> A -> B`):
//   routing  the routing request is sent, no response yet
//   waiting  the relay gave a connection id; the peer has not asked for us yet (or is not connected)
//   online   both sides asked: the relay sent the connect notification, data flows
//   closed   closed here, by the peer's disconnect, by a refusal (id 0), a timeout, or the end of the connection
import Ring from "ring";
import { Waits, type Wait } from "waits";
import { RelayError, RELAY_BAD_ARGUMENT, RELAY_LINK_CLOSED } from "relay/errors";

export type LinkState = "routing" | "waiting" | "online" | "closed";
export type WaitFor = "any" | "readable" | "writable" | "drained";
export type WaitResult = "readable" | "writable" | "drained" | "state" | "timeout";

/** The legal transitions: anything else is a bug in the client and throws. */
export const LINK_TRANSITIONS: Record<LinkState, readonly LinkState[]> = {
  routing: ["waiting", "closed"],
  waiting: ["online", "closed"],
  online: ["closed"],
  closed: [],
};

const MAX_WAITERS = 4;

/** Pending waits (modules/waits underneath: one lazily armed timer): what both the client and its links use. */
export class Waiters<R extends string> {
  #timeout: R | undefined;
  readonly #waits = new Waits<string, R>(MAX_WAITERS, (w) => w.resolve(this.#timeout!));
  #woken: R | undefined;
  #always = false;
  readonly #ends = (w: Wait<string, R>): boolean => {
    if (!this.#always && w.kind !== "any" && w.kind !== this.#woken) return false;
    w.resolve(this.#woken!);
    return true;
  };

  get size(): number { return this.#waits.count; }

  /** A wait for `until` ending with `timeout` after timeoutMs; rejects (RELAY_BAD_ARGUMENT) beyond 4 at once. */
  add(timeoutMs: number, until: string, timeout: R): Promise<R> {
    if (typeof timeoutMs !== "number" || !(timeoutMs >= 0)) {
      return Promise.reject(new RelayError(RELAY_BAD_ARGUMENT, "wait wants a timeout in ms >= 0"));
    }
    this.#timeout = timeout;
    return this.#waits.add(until, timeoutMs)
      ?? Promise.reject(new RelayError(RELAY_BAD_ARGUMENT, `at most ${MAX_WAITERS} waits at once`));
  }

  /**
   * Resolves the waits for `result` (and those for "any"); `always` (a state change) resolves every wait; `final`:
   * the owner is done (no wait will follow), its timer goes too.
   */
  wake(result: R, always = false, final = false): void {
    this.#woken = result;
    this.#always = always;
    this.#waits.settle(this.#ends);
    if (final) this.#waits.stop();
  }
}

/** What a link asks of the client that owns it. */
export interface LinkOwner {
  /** The link has bytes to send (or room was made to receive): pump. */
  pump(): void;
  /** close() was called on the link: tell the relay (disconnect notification) and free the slot. */
  release(link: RelayLink): void;
}

function span(what: string, buffer: unknown, offset: number, length: number): void {
  if (!(buffer instanceof Uint8Array)) throw new RelayError(RELAY_BAD_ARGUMENT, `${what} wants a Uint8Array`);
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > buffer.byteLength) {
    throw new RelayError(RELAY_BAD_ARGUMENT, `${what}: offset/length outside the buffer`);
  }
}

export class RelayLink {
  /** The peer's public key. */
  readonly publicKey: Uint8Array;
  readonly #owner: LinkOwner;
  readonly #rx: Ring;
  readonly #tx: Ring;
  readonly #tag: string;
  #state: LinkState = "routing";
  #error: RelayError | undefined;
  #id = 0;
  #waiters = new Waiters<WaitResult>();

  constructor(owner: LinkOwner, publicKey: Uint8Array, rxSize: number, txSize: number, tag: string) {
    this.#owner = owner;
    this.publicKey = publicKey;
    this.#rx = new Ring(rxSize);
    this.#tx = new Ring(txSize);
    this.#tag = tag;
  }

  get state(): LinkState { return this.#state; }
  /** Why the link closed, when it did not close by close() here. */
  get error(): RelayError | undefined { return this.#error; }
  /** The connection id the relay gave this link (16-255), 0 before the routing response. */
  get id(): number { return this.#id; }
  isOpen(): boolean { return this.#state === "online"; }

  /** Bytes ready for read(). */
  get available(): number { return this.#rx.available; }
  /** Bytes write() would take now. */
  get writable(): number { return this.#state === "closed" ? 0 : this.#tx.free; }
  /** Bytes written but not yet sent to the relay. */
  get pending(): number { return this.#tx.available; }

  /**
   * Copies up to `length` received bytes into `into`; returns the count (0: nothing yet). Once the link is closed
   * and every byte received before it has been read, throws the reason (RELAY_LINK_CLOSED, or the connection's).
   */
  read(into: Uint8Array, offset = 0, length = into.byteLength - offset): number {
    span("read", into, offset, length);
    const n = this.#rx.read(into, offset, length);
    if (n > 0) this.#owner.pump(); // room in the ring: a packet held for this link can go in
    else if (length > 0 && this.#state === "closed") throw this.#closedError();
    return n;
  }

  /**
   * Queues bytes to send: returns how many the tx ring took (0 when full; never blocks). Bytes written before the
   * link is online wait in the ring and leave once it is. Throws once the link is closed.
   */
  write(bytes: Uint8Array, offset = 0, length = bytes.byteLength - offset): number {
    span("write", bytes, offset, length);
    if (this.#state === "closed") throw this.#closedError();
    const n = this.#tx.write(bytes, offset, length);
    if (n > 0 && this.#state === "online") this.#owner.pump();
    return n;
  }

  /**
   * Resolves when something changes or after timeoutMs: "readable" (bytes to read), "writable" (room in the tx
   * ring), "drained" (the tx ring is empty: every byte written went to the relay connection), "state" (a state
   * change; also at once when closed), "timeout". `until` narrows it to one of the first three; a state change
   * ends any wait. Before a graceful close: `await link.wait(ms, "drained")`, then close().
   */
  wait(timeoutMs: number, until: WaitFor = "any"): Promise<WaitResult> {
    if (until !== "any" && until !== "readable" && until !== "writable" && until !== "drained") {
      return Promise.reject(new RelayError(RELAY_BAD_ARGUMENT, `wait for "any", "readable", "writable" or "drained", not ${String(until)}`));
    }
    if ((until === "any" || until === "readable") && this.#rx.available > 0) return Promise.resolve("readable");
    if (until === "writable" && this.#tx.free > 0 && this.#state !== "closed") return Promise.resolve("writable");
    if (until === "drained" && this.#tx.available === 0 && this.#state !== "closed") return Promise.resolve("drained");
    if (this.#state === "closed") return Promise.resolve("state");
    return this.#waiters.add(timeoutMs, until, "timeout");
  }

  /** Closes the link: the relay is told (disconnect notification) and the slot is free again. Idempotent. */
  close(): void {
    if (this.#state === "closed") return;
    this.#owner.release(this);
  }

  // ---- for relay/client only ----

  /** @internal The routing response gave this id. */
  routed(id: number): void {
    this.#id = id;
    this.transition("waiting");
  }

  /** @internal Moves to `next` through the table; `error` says why when it closes by something else than close(). */
  transition(next: LinkState, error?: RelayError): void {
    const from = this.#state;
    if (from === next) return;
    if (LINK_TRANSITIONS[from].indexOf(next) < 0) throw new Error(`relay: link ${this.#tag}: illegal transition ${from} -> ${next}`);
    this.#state = next;
    if (error && !this.#error) this.#error = error;
    trace(`relay: link ${this.#tag} ${from} -> ${next}${error ? ` (${error.code}: ${error.message})` : ""}\n`);
    if (next === "closed") this.#tx.clear();
    this.#waiters.wake("state", true, next === "closed");
  }

  /** @internal Takes a received packet's data, all or nothing: false when the rx ring lacks room (the client holds it). */
  deliver(data: Uint8Array): boolean {
    if (data.byteLength > this.#rx.free) return false;
    if (data.byteLength === 0) return true;
    this.#rx.write(data);
    this.#waiters.wake("readable");
    return true;
  }

  /** @internal Moves up to `max` queued bytes into out[offset...] for the next packet; returns the count. */
  take(out: Uint8Array, offset: number, max: number): number {
    const n = this.#tx.read(out, offset, Math.min(max, out.byteLength - offset));
    if (n > 0) this.#waiters.wake("writable");
    if (n > 0 && this.#tx.available === 0) this.#waiters.wake("drained");
    return n;
  }

  #closedError(): RelayError {
    return this.#error ?? new RelayError(RELAY_LINK_CLOSED, `link ${this.#tag} closed`);
  }
}
