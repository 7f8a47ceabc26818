// ministream/connection: the non-blocking byte-stream shape every stream-like object here shares, the one the TLS
// client (modules/tls/client) set: write -> bytes taken, read -> bytes given, wait(timeout) the only call that
// waits, close, coded errors. A tunnel's streams have it (ministream/stream), the plain TCP service connection has
// it (ministream/tcp), and a server tunnel's service may be anything that has it (a TLSConnection, a TCPConnection,
// another tunnel's stream). Also the bounded list of pending waits those objects keep.
import Timer from "timer";
import { MinistreamError, MS_BAD_ARGUMENT } from "ministream/errors";

/** What a wait is for: "any" change (the default), bytes to read, or room to write. */
export type WaitFor = "any" | "readable" | "writable";
/** Why a wait ended. */
export type WaitResult = "readable" | "writable" | "state" | "timeout";

/**
 * The shape a server tunnel's service connection must have (TLSConnection has it). `state` is "open" once up;
 * "failed" (or "closed" before it was ever open) means it never came up. read() throws once the peer closed and
 * everything was read; write() throws once closed.
 */
export interface Connection {
  readonly state: string;
  read(into: Uint8Array, offset?: number, length?: number): number;
  write(bytes: Uint8Array, offset?: number, length?: number): number;
  /** Bytes write() would take now. */
  readonly writable: number;
  /** Bytes taken by write() and not yet handed on. */
  readonly pending: number;
  wait(timeoutMs: number, until?: WaitFor): Promise<string>;
  close(): void;
}

/** At most this many waits pending on one object at once. */
export const MAX_WAITERS = 4;

type Waiter = { resolve: (result: WaitResult) => void; timer: Timer | undefined; until: WaitFor };

/** The pending waits of one stream-like object: at most MAX_WAITERS, each with its own timeout. */
export class Waiters {
  #list: Waiter[] = [];

  /**
   * A wait for `until`, resolved by wake() or after timeoutMs. `now` is what the object would answer at once
   * (what is waited for is already there, or the object is done), or undefined to wait.
   */
  add(timeoutMs: number, until: WaitFor, now: WaitResult | undefined): Promise<WaitResult> {
    if (typeof timeoutMs !== "number" || !(timeoutMs >= 0)) {
      return Promise.reject(new MinistreamError(MS_BAD_ARGUMENT, "wait wants a timeout in ms >= 0"));
    }
    if (until !== "any" && until !== "readable" && until !== "writable") {
      return Promise.reject(new MinistreamError(MS_BAD_ARGUMENT, `wait for "any", "readable" or "writable", not ${String(until)}`));
    }
    if (now !== undefined) return Promise.resolve(now);
    if (this.#list.length >= MAX_WAITERS) {
      return Promise.reject(new MinistreamError(MS_BAD_ARGUMENT, `at most ${MAX_WAITERS} waits at once`));
    }
    return new Promise((resolve) => {
      const waiter: Waiter = { resolve, timer: undefined, until };
      waiter.timer = Timer.set(() => {
        waiter.timer = undefined;
        const i = this.#list.indexOf(waiter);
        if (i >= 0) this.#list.splice(i, 1);
        resolve("timeout");
      }, timeoutMs);
      this.#list.push(waiter);
    });
  }

  /** Ends the waits that `result` satisfies ("state" ends all of them). */
  wake(result: WaitResult): void {
    const list = this.#list;
    if (list.length === 0) return;
    let kept = 0;
    for (let i = 0; i < list.length; i++) {
      const w = list[i]!;
      if (result !== "state" && w.until !== "any" && w.until !== result) {
        list[kept++] = w;
        continue;
      }
      if (w.timer) Timer.clear(w.timer);
      w.resolve(result);
    }
    list.length = kept;
  }
}
