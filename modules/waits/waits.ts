// Waits: a fixed number of pending waits (promises an owner settles when what they wait for happens, or when their
// timeout passes), all timed by one timer that is armed lazily. A wait that ends early leaves the timer running
// (no Timer.clear), a wait due later than the armed time leaves it alone (no Timer.set), and when it fires it ends
// the waits that are due and re-arms for the next. An owner that waits in a loop (the pump of a connection) so
// makes no timer call per turn: on the board each Timer.set and clear allocates and walks the timer list, in the
// simulator each is a call to the host. Times are Time.ticks (setting the clock does not move them).
//
// The owner decides what ends a wait: settle(w => ...) offers it every pending wait; expire(w) (given at
// construction) says how a wait ends when its time is up. stop() when the owner closes: the timer goes too.
// ConnectionWaits is the common case, the waits of a connection-like object in tls/client's shape:
// wait(timeout, "any" | "readable" | "writable"), ended by a state change, by what it waits for, or by its timeout.
import Time from "time";
import Timer from "timer";

export interface Wait<K, R> {
  /** What the owner waits for (its own label). */
  readonly kind: K;
  /** The timeout it was given (ms). */
  readonly timeoutMs: number;
  resolve(value: R): void;
  reject(error: unknown): void;
}

interface Entry<K, R> extends Wait<K, R> {
  due: number;
}

/** Late by at most this much (ms): a wait due within it of the timer's firing ends with that firing. */
const SLACK_MS = 1;

export class Waits<K, R> {
  readonly #entries: (Entry<K, R> | undefined)[];
  readonly #expire: (w: Wait<K, R>) => void;
  #count = 0;
  #timer: ReturnType<typeof Timer.set> | undefined;
  /** When the armed timer fires (Time.ticks). */
  #armedFor = 0;
  readonly #fire = () => this.#fired();

  /** At most `max` waits at once; `expire(w)` settles a wait whose timeout passed. */
  constructor(max: number, expire: (w: Wait<K, R>) => void) {
    this.#entries = new Array(max).fill(undefined);
    this.#expire = expire;
  }

  /** Waits pending. */
  get count(): number { return this.#count; }

  /** A new wait of `timeoutMs` (>= 0) for `kind`; undefined when `max` are already pending. */
  add(kind: K, timeoutMs: number): Promise<R> | undefined {
    const entries = this.#entries;
    let slot = -1;
    for (let i = 0; i < entries.length; i++) if (!entries[i]) { slot = i; break; }
    if (slot < 0) return undefined;
    const due = Time.ticks + timeoutMs;
    return new Promise<R>((resolve, reject) => {
      entries[slot] = { kind, timeoutMs, due, resolve, reject };
      this.#count++;
      this.#arm(due);
    });
  }

  /** Offer every pending wait to `ended`; those it settled (it returns true) are gone. */
  settle(ended: (w: Wait<K, R>) => boolean): void {
    if (this.#count === 0) return;
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e && ended(e)) {
        if (entries[i] === e) {
          entries[i] = undefined;
          this.#count--;
        }
      }
    }
  }

  /** Resolve every pending wait with `value`. */
  resolveAll(value: R): void {
    if (this.#count === 0) return;
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (!e) continue;
      entries[i] = undefined;
      this.#count--;
      e.resolve(value);
    }
  }

  /** Forget the timer (the owner is closing; settle its waits first). */
  stop(): void {
    if (this.#timer !== undefined) Timer.clear(this.#timer);
    this.#timer = undefined;
  }

  #arm(due: number): void {
    if (this.#timer !== undefined) {
      if (due >= this.#armedFor) return; // it fires first; the later wait is looked at then
      Timer.clear(this.#timer);
    }
    const ms = due - Time.ticks;
    this.#armedFor = due;
    this.#timer = Timer.set(this.#fire, ms > 0 ? ms : 0);
  }

  #fired(): void {
    this.#timer = undefined;
    const now = Time.ticks + SLACK_MS;
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e && e.due <= now) {
        entries[i] = undefined;
        this.#count--;
        this.#expire(e);
      }
    }
    // Re-arm for the earliest left (expire() may have added waits, and armed for those).
    let earliest = Infinity;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e && e.due < earliest) earliest = e.due;
    }
    if (earliest !== Infinity) this.#arm(earliest);
  }
}

/** What a connection's wait is for: "any" change, bytes to read, room to write, or only a change of state. */
export type WaitFor = "any" | "readable" | "writable" | "state";
/** Why a connection's wait ended. */
export type WaitResult = "readable" | "writable" | "state" | "timeout";

/** The waits of a connection-like object (tls/client, tcp/client, ministream's streams): timeouts end them as "timeout". */
export class ConnectionWaits extends Waits<WaitFor, WaitResult> {
  #woken: WaitResult = "state";
  readonly #ends = (w: Wait<WaitFor, WaitResult>): boolean => {
    const result = this.#woken;
    if (result !== "state" && w.kind !== "any" && w.kind !== result) return false;
    w.resolve(result);
    return true;
  };

  constructor(max: number) {
    super(max, (w) => w.resolve("timeout"));
  }

  /** End the waits `result` is for: "state" ends every wait, "readable" / "writable" their own and "any" ones. */
  wake(result: WaitResult): void {
    if (this.count === 0) return;
    this.#woken = result;
    this.settle(this.#ends);
  }
}
