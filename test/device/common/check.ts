// The checks every device test shares (test/device/*/check.ts build on it): a case fails by throwing Fail with its
// reason; why() turns whatever was thrown into the one-line reason of a "not ok <name> <why>" trace line, and
// run() / runAsync() report a case as that line.

export class Fail extends Error {}

export function check(cond: boolean, why: string): void {
  if (!cond) throw new Fail(why);
}

export function equal(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Fail(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

/** Bytes from hex ("10 0e 00 04"; spaces ignored). */
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

/** What was thrown, as one line: a Fail's own reason, an error's code (or name) and message. */
export function why(e: unknown): string {
  const text = e instanceof Fail ? e.message : e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e);
  return text.replace(/\n/g, " ");
}

/** One report line, as test/support/device.js reads it: "ok <name>" or "not ok <name> <why>". */
export function report(name: string, ok: boolean, reason = ""): void {
  trace(ok ? `ok ${name}\n` : `not ok ${name} ${reason.replace(/\n/g, " ")}\n`);
}

/** Run a synchronous case and report it. */
export function run(name: string, body: () => void): void {
  try {
    body();
    report(name, true);
  } catch (e) {
    report(name, false, why(e));
  }
}

/** Run an asynchronous case and report it. */
export async function runAsync(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    report(name, true);
  } catch (e) {
    report(name, false, why(e));
  }
}
