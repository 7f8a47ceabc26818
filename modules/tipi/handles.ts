// tipi/handles: the host's handles 0-255 and the four requests on them. Each open handle is a TLS connection
// (modules/tls) in one state of tipi/states; this module is the only one that moves it, through the table there.
// Requests come one at a time from tipi/pump and are answered through it; an open, a write that does not fit the tx
// ring at once and a close with bytes still to send are answered later, and the pump waits for them meanwhile.
//
// Nothing here polls. An open waits for its connection's state to change; a write waits for room in the tx ring
// (the connection's wait(…, "writable"), which its socket's onWritable ends); a close waits for the tx ring to
// drain (wait(…, "any"), with what the peer still sends dropped as it comes: no one will read it). The only timer
// is the deadline of the request under way: writeTimeout after the last byte moved (write, close), or
// connectTimeout plus a grace for an open whose connection never settles.
//
// Decisions (README.md, "Behaviour", says the same):
// - Close lets the bytes in the handle's tx ring go to the socket first (a write answered GOOD once its bytes were
//   taken, so a close right behind it must not cut them; at most writeTimeout without progress), then closes and
//   answers GOOD (also for a handle that is not open, as the wiki says).
// - Open on a handle that is already open closes the old connection that way first (as TlsSocket.py does). With
//   maxHandles open, an open answers BAD with a logged reason; a handle whose connection has ended and whose bytes
//   were all read does not count (it is released first).
// - A write larger than the free tx space does not fail: its bytes move from the link into the tx ring as the
//   connection sends, and it answers GOOD when the last one is in. It answers BAD when the handle is not open or
//   the peer closed (nothing taken), when the connection fails during it, or when no byte could be taken for
//   writeTimeout ms; then a write that had been partly taken closes the handle (its stream would have a hole).
//   A write with no data is a probe: GOOD while the connection is open, BAD once it is not.
// - The peer closing or resetting (the board does not tell which): the bytes that reached the device stay readable;
//   a write answers BAD from then on; the first read that finds nothing left releases the handle.
// - The link going away stops a write under way (closing its handle if part of it was taken) and a close under way
//   (closing at once); an open goes on, its reply dropped. Handles stay open for the next link.
import Timer from "timer";
import { connect, type TLSConnection, type Providers } from "tls/client";
import { HANDLES } from "tipi/wire";
import { FREE, OPENING, OPEN, WRITING, CLOSING, ENDED, allowed, stateName } from "tipi/states";
import { type Pump, type Requests, why } from "tipi/pump";

/** An open given up here when its connection has not settled by connectTimeout plus this (a guard). */
const OPEN_GRACE_MS = 2000;
/** Scratch for dropping what a closing handle's peer still sends. */
const DISCARD_BYTES = 256;

export type HandleOptions = Providers & {
  /** Trusted CA (DER); undefined: every open fails with `noCA` as the reason. */
  ca: ArrayBuffer | undefined;
  noCA: string;
  rxSize: number;
  txSize: number;
  maxHandles: number;
  maxReply: number;
  connectTimeout: number;
  writeTimeout: number;
  traceStates: boolean;
};

/** An open handle: its connection and the request it is part of. FREE handles have none. */
class Slot {
  readonly handle: number;
  readonly connection: TLSConnection;
  readonly target: string;
  state = FREE;
  /** A write under way: its size and the bytes not yet taken. */
  size = 0;
  left = 0;
  /** A close under way: bytes in the tx ring at the last look; then, for a reopen, where to. */
  unsent = 0;
  reopenHost: string | undefined;
  reopenPort = 0;
  /** An open given up by the deadline. */
  givenUp = false;
  /** A wait() on the connection is outstanding (at most one from here). */
  waiting = false;
  /** What the connection's write threw while bytes were offered. */
  failure: unknown;
  /** Made once per open, for every wait of the handle: it says which handle's wait ended. */
  readonly wake: () => void;

  constructor(handle: number, connection: TLSConnection, target: string, waited: (slot: Slot) => void) {
    this.handle = handle;
    this.connection = connection;
    this.target = target;
    this.wake = () => waited(this);
  }
}

export class Handles implements Requests {
  readonly #pump: Pump;
  readonly #options: HandleOptions;
  readonly #slots: (Slot | undefined)[] = new Array(HANDLES);
  #count = 0;
  /** The handle whose request is under way (its reply is owed), if any. */
  #pending: Slot | undefined;
  #deadline: ReturnType<typeof Timer.set> | undefined;
  readonly #onDeadline = () => {
    this.#deadline = undefined;
    this.#stalled();
  };
  readonly #waited = (slot: Slot) => {
    slot.waiting = false;
    if (this.#pending !== slot || this.#slots[slot.handle] !== slot) return;
    try {
      if (slot.state === WRITING) this.#take(slot);
      else if (slot.state === CLOSING) this.#drain(slot);
    } catch (error) {
      trace(`tipi: internal error in a request under way on handle ${slot.handle}: ${why(error)}\n`);
    }
  };
  readonly #scratch = new Uint8Array(DISCARD_BYTES);
  /** The handle whose connection the two views below go to: set around each readTo / readReply. */
  #current: Slot | undefined;
  /** A write's bytes into the current handle's tx ring (what it takes; a throw is kept, and ends the offer). */
  readonly #sink = (view: Uint8Array): number => {
    const slot = this.#current!;
    try {
      return slot.connection.write(view);
    } catch (error) {
      slot.failure = error;
      return 0;
    }
  };
  /** A read reply's bytes out of the current handle's rx ring. */
  readonly #source = (view: Uint8Array): number => this.#current!.connection.read(view);

  constructor(pump: Pump, options: HandleOptions) {
    this.#pump = pump;
    this.#options = options;
  }

  get busy(): boolean { return this.#pending !== undefined; }
  get openHandles(): number { return this.#count; }

  // ---- the requests ----

  open(handle: number, host: string, port: number): void {
    const slot = this.#slots[handle];
    if (!slot) {
      this.#connect(handle, host, port);
      return;
    }
    trace(`tipi: open ${handle}: closing the connection already open on this handle\n`);
    slot.reopenHost = host;
    slot.reopenPort = port;
    this.#close(slot);
  }

  write(handle: number, size: number): void {
    const slot = this.#slots[handle];
    if (!slot || slot.state !== OPEN || !slot.connection.isOpen()) {
      this.#pump.writeData.skip(size);
      trace(`tipi: write ${handle}: ${slot ? this.#notOpen(slot) : "not open"}; ${size} bytes not taken -> 0\n`);
      if (slot) this.#readable(slot); // an ended handle is released once nothing is left to read
      this.#answer(false);
      return;
    }
    if (size === 0) {
      this.#answer(true);
      return;
    }
    slot.size = slot.left = size;
    this.#move(slot, WRITING);
    this.#begin(slot, this.#options.writeTimeout);
    this.#take(slot);
  }

  read(handle: number, size: number): void {
    const slot = this.#slots[handle];
    let n = slot ? this.#readable(slot) : 0;
    if (n > size) n = size;
    if (n > this.#options.maxReply) n = this.#options.maxReply;
    this.#current = slot;
    this.#pump.readReply(n, n > 0 ? this.#source : undefined);
    this.#current = undefined;
  }

  close(handle: number): void {
    const slot = this.#slots[handle];
    if (slot) this.#close(slot);
    else this.#answer(true);
  }

  linkLost(): void {
    const slot = this.#pending;
    if (!slot) return;
    this.#end();
    if (slot.state === WRITING) {
      const taken = slot.size - slot.left;
      if (taken > 0) {
        trace(`tipi: write ${slot.handle}: cut off after ${taken} of ${slot.size} bytes; handle closed\n`);
        this.#release(slot);
      } else {
        this.#move(slot, OPEN);
      }
    } else if (slot.state === CLOSING) {
      this.#release(slot);
      trace(`tipi: close ${slot.handle}: closed at once (the link went away)\n`);
    }
    // an open goes on by itself; its reply will be dropped
  }

  /** Close every handle (the service stops). */
  closeAll(): void {
    this.#end();
    for (let h = 0; h < HANDLES; h++) {
      const slot = this.#slots[h];
      if (slot) this.#release(slot);
    }
  }

  // ---- open ----

  #connect(handle: number, host: string, port: number): void {
    const options = this.#options;
    const target = `${host}:${port}`;
    if (!options.ca) {
      trace(`tipi: open ${handle} ${target} -> failed: ${options.noCA}\n`);
      this.#answer(false);
      return;
    }
    if (this.#count >= options.maxHandles) this.#sweep();
    if (this.#count >= options.maxHandles) {
      trace(`tipi: open ${handle} ${target} -> refused: ${this.#count} handles open, maxHandles is ${options.maxHandles}\n`);
      this.#answer(false);
      return;
    }
    let connection: TLSConnection;
    try {
      connection = connect(host, port, {
        ca: options.ca,
        rxSize: options.rxSize,
        txSize: options.txSize,
        connectTimeout: options.connectTimeout,
        dns: options.dns,
        socket: options.socket,
        tag: `tls/${handle}`,
      });
    } catch (error) {
      trace(`tipi: open ${handle} ${target} -> failed ${why(error)}\n`);
      this.#answer(false);
      return;
    }
    const slot = new Slot(handle, connection, target, this.#waited);
    this.#slots[handle] = slot;
    this.#count++;
    this.#move(slot, OPENING);
    this.#begin(slot, options.connectTimeout + OPEN_GRACE_MS);
    this.#awaitOpen(slot).catch((error) => trace(`tipi: internal error in open ${handle}: ${why(error)}\n`));
  }

  /** Wait for the connection to settle (its own connectTimeout bounds it), then answer the open. */
  async #awaitOpen(slot: Slot): Promise<void> {
    const connection = slot.connection;
    let failure: string | undefined;
    try {
      while (connection.state === "resolving" || connection.state === "connecting") {
        await connection.wait(this.#options.connectTimeout + OPEN_GRACE_MS);
      }
    } catch (error) {
      failure = `wait failed: ${why(error)}`;
      connection.close();
    }
    if (slot.givenUp) failure = `TLS_TIMEOUT: no result within connectTimeout ${this.#options.connectTimeout} ms (given up by tipi)`;
    const ok = failure === undefined && connection.state === "open";
    if (ok) {
      trace(`tipi: open ${slot.handle} ${slot.target} -> ok\n`);
      if (this.#slots[slot.handle] === slot) this.#move(slot, OPEN);
    } else {
      failure ??= connection.error ? why(connection.error) : `${connection.state} before it was open`;
      trace(`tipi: open ${slot.handle} ${slot.target} -> failed ${failure}\n`);
      this.#release(slot);
    }
    if (this.#pending !== slot) {
      trace(`tipi: open ${slot.handle}: its reply is dropped (the link it came on is gone)\n`);
      return;
    }
    this.#answer(ok);
  }

  // ---- write ----

  /** Move what fits of the write under way into the tx ring; answer it, or wait for room. */
  #take(slot: Slot): void {
    const connection = slot.connection;
    const data = this.#pump.writeData;
    const before = data.available;
    slot.failure = undefined;
    this.#current = slot;
    // the connection sends inside write() when its socket has room: offer again until nothing is taken
    for (let taken = 0; taken < slot.left;) {
      const n = data.readTo(this.#sink, slot.left - taken);
      if (n === 0) break;
      taken += n;
    }
    this.#current = undefined;
    const moved = before - data.available;
    slot.left -= moved;
    let failure = slot.failure === undefined ? undefined : why(slot.failure);
    if (failure === undefined && slot.left === 0) {
      this.#move(slot, OPEN);
      this.#answer(true);
      return;
    }
    if (failure === undefined && !connection.isOpen()) failure = this.#notOpen(slot);
    if (failure !== undefined) {
      trace(`tipi: write ${slot.handle}: ${failure} after ${slot.size - slot.left} of ${slot.size} bytes -> 0\n`);
      this.#pump.writeData.skip(slot.left);
      this.#move(slot, ENDED);
      this.#readable(slot);
      this.#answer(false);
      return;
    }
    if (moved > 0) this.#arm(this.#options.writeTimeout);
    this.#wait(slot, "writable");
  }

  // ---- close ----

  /** Close a handle once its tx ring has gone to the socket; then answer, or open again (a reopen). */
  #close(slot: Slot): void {
    const connection = slot.connection;
    if (slot.state !== OPEN || !connection.isOpen() || connection.pending === 0) {
      this.#release(slot);
      trace(`tipi: close ${slot.handle}: closed\n`);
      this.#afterClose(slot);
      return;
    }
    slot.unsent = connection.pending;
    this.#move(slot, CLOSING);
    this.#begin(slot, this.#options.writeTimeout);
    this.#drain(slot);
  }

  /** The close under way: done when the tx ring is empty or the connection ended; else wait for a change. */
  #drain(slot: Slot): void {
    const connection = slot.connection;
    const left = this.#discard(connection) && connection.isOpen() ? connection.pending : 0;
    if (left > 0) {
      if (left < slot.unsent) {
        slot.unsent = left;
        this.#arm(this.#options.writeTimeout);
      }
      this.#wait(slot, "any");
      return;
    }
    this.#release(slot);
    trace(`tipi: close ${slot.handle}: closed after its tx ring drained\n`);
    this.#afterClose(slot);
  }

  #afterClose(slot: Slot): void {
    const host = slot.reopenHost;
    if (host === undefined) this.#answer(true);
    else this.#connect(slot.handle, host, slot.reopenPort);
  }

  /**
   * Drop what a closing connection has received (no one will read it), so that wait("any") waits for the next
   * change rather than answering at once. False when the connection has ended.
   */
  #discard(connection: TLSConnection): boolean {
    try {
      while (connection.read(this.#scratch) > 0) { /* dropped */ }
      return true;
    } catch {
      return false;
    }
  }

  // ---- the request under way: its deadline, its waits, its answer ----

  #begin(slot: Slot, deadline: number): void {
    this.#pending = slot;
    this.#arm(deadline);
  }

  #arm(ms: number): void {
    if (this.#deadline) Timer.schedule(this.#deadline, ms);
    else this.#deadline = Timer.set(this.#onDeadline, ms);
  }

  #end(): void {
    this.#pending = undefined;
    if (this.#deadline) Timer.clear(this.#deadline);
    this.#deadline = undefined;
  }

  /** Answer the request: queue its reply and, when it took time, let the pump go on with the next one. */
  #answer(good: boolean): void {
    const later = this.#pending !== undefined;
    this.#end();
    this.#pump.status(good);
    if (later) this.#pump.resume();
  }

  /** One outstanding wait per handle: a result that finds another request under way only causes one more look. */
  #wait(slot: Slot, until: "writable" | "any"): void {
    if (slot.waiting) return;
    slot.waiting = true;
    slot.connection.wait(this.#options.writeTimeout, until).then(slot.wake, slot.wake);
  }

  /** The deadline of the request under way passed with no progress. */
  #stalled(): void {
    const slot = this.#pending;
    if (!slot) return;
    const ms = this.#options.writeTimeout;
    if (slot.state === WRITING) {
      const taken = slot.size - slot.left;
      this.#pump.writeData.skip(slot.left);
      if (taken === 0) {
        trace(`tipi: write ${slot.handle}: no room in the tx ring for ${ms} ms; nothing taken -> 0\n`);
        this.#move(slot, OPEN);
      } else {
        trace(`tipi: write ${slot.handle}: stalled for ${ms} ms after ${taken} of ${slot.size} bytes -> 0; handle closed (its stream would have a hole)\n`);
        this.#release(slot);
      }
      this.#answer(false);
    } else if (slot.state === CLOSING) {
      const left = slot.connection.pending;
      this.#release(slot);
      trace(`tipi: close ${slot.handle}: closed with ${left} bytes unsent (nothing moved for ${ms} ms)\n`);
      this.#afterClose(slot);
    } else if (slot.state === OPENING) {
      // The connection's own connect timeout should have ended it: do not let the link hang on it.
      slot.givenUp = true;
      slot.connection.close();
    }
  }

  // ---- the table ----

  #move(slot: Slot, to: number): void {
    const from = slot.state;
    if (from === to) return;
    if (!allowed(from, to)) {
      trace(`tipi: internal error: handle ${slot.handle}: no transition ${stateName(from)} -> ${stateName(to)}\n`);
      return;
    }
    slot.state = to;
    if (this.#options.traceStates) trace(`tipi: handle ${slot.handle} ${stateName(from)} -> ${stateName(to)}\n`);
  }

  /** Bytes ready on a handle. A handle whose connection has ended is ENDED, and FREE once nothing is left. */
  #readable(slot: Slot): number {
    if (slot.state === OPENING) return 0;
    const connection = slot.connection;
    if (slot.state === OPEN && !connection.isOpen()) this.#move(slot, ENDED);
    try {
      return connection.bytesAvailable();
    } catch (error) {
      trace(`tipi: handle ${slot.handle} released: ${why(error)}\n`);
      this.#release(slot);
      return 0;
    }
  }

  #notOpen(slot: Slot): string {
    const connection = slot.connection;
    if (connection.error) return why(connection.error);
    if (connection.state === "open" || connection.state === "closed") {
      return "closed or reset by peer (the board does not tell which)";
    }
    return `still ${connection.state}`;
  }

  /** Release every handle whose connection has ended with nothing left to read. */
  #sweep(): void {
    for (let h = 0; h < HANDLES; h++) {
      const slot = this.#slots[h];
      if (slot && (slot.state === OPEN || slot.state === ENDED) && !slot.connection.isOpen()) this.#readable(slot);
    }
  }

  #release(slot: Slot): void {
    if (this.#slots[slot.handle] !== slot) return;
    this.#move(slot, FREE);
    this.#slots[slot.handle] = undefined;
    this.#count--;
    slot.connection.close();
  }
}
