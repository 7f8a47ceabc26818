// Checks shared by the ministream device tests (test/device/ministream-*.ts): each case reports one trace line,
// "ok <name>" or "not ok <name> <why>", as test/support/device.js reads them; other lines ("sha ...", "figure ...")
// carry values the Node side checks; `done` ends a run.

import { Fail, why } from "../common/check";

export { Fail, check, equal, hex, toHex, sameBytes } from "../common/check";

/** `fn` throws an error whose `code` is `code` (or, for a plain Error class, is an instance of it). */
export function throwsCode(code: string, fn: () => unknown, what: string): void {
  try {
    fn();
  } catch (e) {
    const got = (e as { code?: unknown }).code ?? (e as Error).name;
    if (got === code) return;
    throw new Fail(`${what}: threw ${String(got)} (${String(e)}) instead of ${code}`);
  }
  throw new Fail(`${what}: did not throw ${code}`);
}

export function report(name: string, body: () => void): void {
  try {
    body();
    trace(`ok ${name}\n`);
  } catch (e) {
    trace(`not ok ${name} ${why(e)}\n`);
  }
}

export async function reportAsync(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    trace(`ok ${name}\n`);
  } catch (e) {
    trace(`not ok ${name} ${why(e)}\n`);
  }
}

/** Deterministic bytes, the same as test/support/servers.js pattern(size, seed): xorshift32 (13, 17, 5). */
export class Pattern {
  #x: number;
  constructor(seed: number) {
    this.#x = seed >>> 0;
  }
  fill(view: Uint8Array, length = view.byteLength): void {
    let x = this.#x;
    for (let i = 0; i < length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      view[i] = x & 0xff;
    }
    this.#x = x;
  }
}
