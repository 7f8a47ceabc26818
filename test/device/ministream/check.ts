// Checks shared by the ministream device tests (test/device/ministream-*.ts): each case reports one trace line,
// "ok <name>" or "not ok <name> <why>", as test/support/device.js reads them; other lines ("sha ...", "figure ...")
// carry values the Node side checks; `done` ends a run.

import { Fail, why } from "../common/check";

import { equal } from "../common/check";
import { SHA256 } from "./sha256";
import { MS_CLOSED } from "ministream/errors";
import type { MiniStream } from "ministream/stream";

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

/**
 * Uploads `size` bytes of Pattern(seed) on an open stream while hashing what comes back, both at once, then closes
 * it: the SHA-256 and count of what came back. A turn with no progress waits up to `timeoutMs` (else it throws).
 */
export async function echoPattern(s: MiniStream, size: number, seed: number, timeoutMs: number): Promise<{ sha: string; bytes: number }> {
  const pattern = new Pattern(seed);
  const sha = new SHA256();
  const chunk = new Uint8Array(1024);
  const hash = (view: Uint8Array): number => sha.update(view);
  let sent = 0, pending = 0, at = 0, got = 0;
  while (got < size) {
    let progress = 0;
    while (sent < size) {
      if (pending === 0) {
        pending = size - sent < chunk.length ? size - sent : chunk.length;
        pattern.fill(chunk, pending);
        at = 0;
      }
      const n = s.write(chunk, at, pending);
      if (n === 0) break;
      at += n;
      pending -= n;
      sent += n;
      progress += n;
    }
    const n = s.readTo(hash);
    got += n;
    progress += n;
    if (progress === 0 && (await s.wait(timeoutMs)) === "timeout") throw new Error(`stalled at ${got} of ${size} bytes back (${sent} sent)`);
  }
  s.close();
  return { sha: sha.digest(), bytes: got };
}

/** Reads an open stream until the peer's Close (MS_CLOSED): the SHA-256 and count of what came. */
export async function drainToClose(s: MiniStream, timeoutMs: number): Promise<{ sha: string; bytes: number }> {
  const sha = new SHA256();
  const hash = (view: Uint8Array): number => sha.update(view);
  for (;;) {
    let n: number;
    try {
      n = s.readTo(hash);
    } catch (e) {
      equal((e as { code?: string }).code, MS_CLOSED, "how the stream ended");
      return { sha: sha.digest(), bytes: sha.bytes };
    }
    if (n === 0 && (await s.wait(timeoutMs, "readable")) === "timeout") throw new Error(`stalled after ${sha.bytes} bytes`);
  }
}
