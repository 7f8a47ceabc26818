// ministream/connection: the non-blocking byte-stream shape every stream-like object here shares, the one the TLS
// client (modules/tls/client) set: write -> bytes taken, read -> bytes given, wait(timeout) the only call that
// waits, close, coded errors. A tunnel's streams have it (ministream/stream), the plain TCP service connection has
// it (ministream/tcp), and a server tunnel's service may be anything that has it (a TLSConnection, a TCPConnection,
// another tunnel's stream). Also the bounded list of pending waits those objects keep.
import { ConnectionWaits, type WaitResult } from "waits";
import { MinistreamError, MS_BAD_ARGUMENT } from "ministream/errors";

/** What a wait is for: "any" change (the default), bytes to read, or room to write. */
export type WaitFor = "any" | "readable" | "writable";
export type { WaitResult } from "waits";

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

/** The pending waits of one stream-like object (modules/waits underneath: one lazily armed timer). */
export class Waiters {
  readonly #waits = new ConnectionWaits(MAX_WAITERS);

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
    return this.#waits.add(until, timeoutMs)
      ?? Promise.reject(new MinistreamError(MS_BAD_ARGUMENT, `at most ${MAX_WAITERS} waits at once`));
  }

  /** Ends the waits that `result` satisfies ("state" ends all of them); `final`: the object is done, no timer is kept. */
  wake(result: WaitResult, final = false): void {
    this.#waits.wake(result);
    if (final) this.#waits.stop();
  }
}
