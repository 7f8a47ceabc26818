// How a case reports (test/conformance/README.md, "Report"): `ok <case>` or `not ok <case> <why>`, sub-checks as
// `ok <case>/<check>`, then `done`, once. A watchdog reports `not ok <case> <timeout>` and `done` if the case has
// not ended in time, so a case that hangs on a board fails rather than waits.
import Timer from "timer";

export type ReportOptions = {
  /** Milliseconds before the watchdog ends the case as failed; none without it. */
  watchdog?: number;
  /** The watchdog's reason. */
  timeout?: string;
  /** Called once when the case ends, before its last lines (close the socket, clear a timer). */
  close?: () => void;
};

export type Report = {
  /** Ends the case: `ok <case>`, or `not ok <case> <why>`; then `done`. Only the first end counts. */
  end(ok: boolean, why?: string): void;
  /** Ends a case whose results are its sub-checks: `not ok <case> <failure>` if there is one; then `done`. */
  done(failure?: string): void;
  /** One sub-check: `ok <case>/<check>` or `not ok <case>/<check> <why>`. */
  check(check: string, ok: boolean, why: string): void;
};

export default function report(name: string, { watchdog, timeout = "timeout", close }: ReportOptions = {}): Report {
  let ended = false;
  const timer = watchdog === undefined ? undefined : Timer.set(() => end(false, timeout), watchdog);
  function stop() {
    if (ended) return false;
    ended = true;
    if (timer !== undefined) Timer.clear(timer);
    close?.();
    return true;
  }
  function end(ok: boolean, why = "") {
    if (!stop()) return;
    trace(ok ? `ok ${name}\n` : `not ok ${name} ${why}\n`);
    trace("done\n");
  }
  function done(failure?: string) {
    if (!stop()) return;
    if (failure) trace(`not ok ${name} ${failure}\n`);
    trace("done\n");
  }
  function check(check: string, ok: boolean, why: string) {
    trace(ok ? `ok ${name}/${check}\n` : `not ok ${name}/${check} ${why}\n`);
  }
  return { end, done, check };
}

/**
 * Make an abort show what was thrown. The SDK's simulator prints only "XS abort: unhandled exception"; built with
 * `"defines": { "xs": { "abortHook": 1 } }` it first calls a global `abort(reason, exception)`, and this one traces
 * the exception (`String(e)`: "TLS: certificate: auth err") on the line after, then lets the abort go on (it returns
 * nothing; returning false would cancel it). Our simulator puts the exception in its abort line itself.
 */
export function showAborts(): void {
  (globalThis as any).abort = (_reason: string, exception: unknown) => {
    trace(`${String(exception)}\n`);
  };
}

/** What `f` throws, as its message; "no throw" if it returns. */
export function thrown(f: () => unknown): string {
  try {
    f();
    return "no throw";
  } catch (error) {
    return messageOf(error);
  }
}

/** A thrown value as the board's abort report prints it: "TLS: certificate: auth err", "TypeError: invalid buffer". */
export function described(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** An error's message (any thrown value as a string). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
