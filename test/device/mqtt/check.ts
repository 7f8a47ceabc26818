// Checks shared by the MQTT device tests (test/device/mqtt-*.ts): each case reports one trace line, "ok <name>" or
// "not ok <name> <why>", as test/support/device.js reads them; `done` ends a run.

import { Fail, why } from "../common/check";

export { Fail, check, equal, hex, toHex, sameBytes } from "../common/check";

/** `fn` throws an error whose `code` is `code`; returns its message. */
export function throwsCode(code: string, fn: () => unknown, what: string): string {
  try {
    fn();
  } catch (e) {
    const got = (e as { code?: unknown }).code;
    if (got === code) return (e as Error).message;
    throw new Fail(`${what}: threw ${String(got ?? e)} instead of ${code}`);
  }
  throw new Fail(`${what}: did not throw ${code}`);
}

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
