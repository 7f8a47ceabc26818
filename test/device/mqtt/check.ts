// Checks shared by the MQTT device tests (test/device/mqtt-*.ts): each case reports one trace line, "ok <name>" or
// "not ok <name> <why>", as test/support/device.js reads them; `done` ends a run.

import { Fail, why } from "../common/check";

export { Fail, check, equal, hex, toHex, sameBytes, report, run, runAsync } from "../common/check";

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
