// The checks every device test shares (test/device/*/check.ts build on it): a case fails by throwing Fail with its
// reason; why() turns whatever was thrown into the one-line reason of a "not ok <name> <why>" trace line.

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
