// What the Secure Streams device tests share: the report lines test/support/device.js reads ("ok <name>",
// "not ok <name> <why>", then "done"), checks, the fixture servers' byte pattern, and a recorder that keeps a
// stream's states, rx and tx as lws' names, so a case can compare a whole sequence at once.
import Timer from "timer";
import config from "mc/config";
import { parsePolicy, type Policy } from "ss/policy";
import { stateName, LWSSS_FLAG_SOM, LWSSS_FLAG_EOM, type SecureStream } from "ss";

/** The policy the Node side gave in mc/config (test/device/ss/servers.js testPolicy: more than the default 16 types). */
export function testPolicy(): Policy {
  return parsePolicy(config.policy as string, { log: () => {}, limits: { maxStreams: 32 } });
}

import { Fail } from "../common/check";

export { Fail, check, equal, report, run, runAsync } from "../common/check";

export class Pattern {
  #x: number;
  constructor(seed = 1) {
    this.#x = seed >>> 0;
  }
  next(): number {
    let x = this.#x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#x = x >>> 0;
    return x & 0xff;
  }
  fill(into: Uint8Array, length: number): void {
    for (let i = 0; i < length; i++) into[i] = this.next();
  }
}

/** A state without its LWSSSCS_ prefix ("CONNECTED"), as sequences are written in the cases. */
export function short(state: number): string {
  return stateName(state).replace("LWSSSCS_", "");
}

/** What a stream went through: its states in order (with the time each came), and its rx. */
export class Recorder {
  readonly states: string[] = [];
  readonly times: number[] = [];
  /** rx calls as "len/flags" (flags as SOM|EOM|-). */
  readonly rx: string[] = [];
  rxBytes = 0;
  /** The first rx byte that differed from the pattern, or -1. */
  badByte = -1;
  readonly #expect: Pattern | undefined;
  #settle: (() => void) | undefined;
  #until = "";

  constructor(expect?: Pattern) {
    this.#expect = expect;
  }

  state(state: number): void {
    this.states.push(short(state));
    this.times.push(Date.now());
    if (this.#settle && short(state) === this.#until) {
      const settle = this.#settle;
      this.#settle = undefined;
      settle();
    }
  }

  received(buf: Uint8Array, len: number, flags: number): void {
    const som = (flags & LWSSS_FLAG_SOM) !== 0, eom = (flags & LWSSS_FLAG_EOM) !== 0;
    this.rx.push(`${len}/${som ? "SOM" : ""}${som && eom ? "|" : ""}${eom ? "EOM" : ""}${!som && !eom ? "-" : ""}`);
    const expect = this.#expect;
    if (expect) {
      for (let i = 0; i < len; i++) if (buf[i] !== expect.next() && this.badByte < 0) this.badByte = this.rxBytes + i;
    }
    this.rxBytes += len;
  }

  sequence(): string {
    return this.states.join(" ");
  }

  /** Resolves once the stream reaches `state` (short name), or rejects after `ms`. */
  until(state: string, ms = 10000): Promise<void> {
    if (this.states.indexOf(state) >= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = Timer.set(() => {
        this.#settle = undefined;
        reject(new Fail(`no ${state} within ${ms} ms; states: ${this.sequence()}`));
      }, ms);
      this.#until = state;
      this.#settle = () => {
        Timer.clear(timer);
        resolve();
      };
    });
  }

  /** rx calls folded: "n x len/flags" runs collapse the middle chunks ("1540/SOM 3x1540/- 0/EOM"). */
  rxSummary(): string {
    const out: string[] = [];
    let i = 0;
    while (i < this.rx.length) {
      let k = i;
      while (k + 1 < this.rx.length && this.rx[k + 1] === this.rx[i]) k++;
      out.push(k > i ? `${k - i + 1}x${this.rx[i]}` : this.rx[i]!);
      i = k + 1;
    }
    return out.join(" ");
  }
}

/** Wait `ms` on a timer. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => Timer.set(() => resolve(), ms));
}

export type Handle = SecureStream<Recorder>;
