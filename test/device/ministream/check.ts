// Checks shared by the ministream device tests (test/device/ministream-*.ts): each case reports one trace line,
// "ok <name>" or "not ok <name> <why>", as test/support/device.js reads them; other lines ("sha ...", "figure ...")
// carry values the Node side checks; `done` ends a run.

export class Fail extends Error {}

export function check(cond: boolean, why: string): void {
  if (!cond) throw new Fail(why);
}

export function equal(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Fail(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

/** Bytes from hex ("a1 12 34 56"; spaces ignored). */
export function hex(text: string): Uint8Array<ArrayBuffer> {
  const digits = text.replace(/\s+/g, "");
  const out = new Uint8Array(digits.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.substr(i * 2, 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i++) parts.push((bytes[i]! < 16 ? "0" : "") + bytes[i]!.toString(16));
  return parts.join(" ");
}

export function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (toHex(actual) !== toHex(expected)) throw new Fail(`${what}: got ${toHex(actual)}, expected ${toHex(expected)}`);
}

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

function why(e: unknown): string {
  return (e instanceof Error ? (e instanceof Fail ? e.message : `${(e as { code?: string }).code ?? e.name}: ${e.message}`) : String(e)).replace(/\n/g, " ");
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
