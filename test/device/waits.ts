// Device-side cases for modules/waits (run by test/waits.test.js, which also counts the timer calls they make):
// timeouts end waits at their time and in order, the owner ends the waits it chooses, a full table refuses, and a
// pump-like loop of wait / wake runs on the one timer armed at its first wait. One trace line per case, then "done".
import Time from "time";
import { Waits, type Wait } from "waits";
import { check, equal, why } from "./common/check";

type Kind = "a" | "b";
const timedOut = (w: Wait<Kind, string>) => w.resolve(`timeout ${w.kind}`);

async function timeoutEndsAWait(): Promise<void> {
  const waits = new Waits<Kind, string>(2, timedOut);
  const t0 = Time.ticks;
  const result = await waits.add("a", 30)!;
  const took = Time.ticks - t0;
  equal(result, "timeout a", "result");
  check(took >= 29, `ended after ${took} ms, before its 30 ms`);
  equal(waits.count, 0, "count after");
}

async function settleEndsOnlyWhatItTakes(): Promise<void> {
  const waits = new Waits<Kind, string>(4, timedOut);
  const a = waits.add("a", 5000)!;
  const b = waits.add("b", 40)!;
  equal(waits.count, 2, "count with two");
  waits.settle((w) => {
    if (w.kind !== "a") return false;
    w.resolve("woken");
    return true;
  });
  equal(waits.count, 1, "count after settling a");
  equal(await a, "woken", "a");
  equal(await b, "timeout b", "b keeps its own timeout");
  waits.stop();
}

async function fullTableRefuses(): Promise<void> {
  const waits = new Waits<Kind, string>(2, timedOut);
  const first = waits.add("a", 5000)!;
  const second = waits.add("b", 5000)!;
  check(waits.add("a", 5000) === undefined, "a third wait was taken by a table of two");
  waits.resolveAll("all");
  equal(await first, "all", "first");
  equal(await second, "all", "second");
  check(waits.add("a", 5000) !== undefined, "a freed slot was not offered again");
  waits.resolveAll("all");
  waits.stop();
}

async function earlierWaitRearms(): Promise<void> {
  const waits = new Waits<Kind, string>(2, timedOut);
  const t0 = Time.ticks;
  const late = waits.add("a", 400)!;
  const early = waits.add("b", 20)!;
  equal(await early, "timeout b", "early");
  const tookEarly = Time.ticks - t0;
  check(tookEarly < 300, `the 20 ms wait ended after ${tookEarly} ms: it waited for the 400 ms timer`);
  equal(await late, "timeout a", "late");
  const tookLate = Time.ticks - t0;
  check(tookLate >= 399, `the 400 ms wait ended after ${tookLate} ms`);
}

async function expireMayRejectAndWaitAgain(): Promise<void> {
  let again: Promise<string> | undefined;
  const waits: Waits<Kind, string> = new Waits<Kind, string>(2, (w) => {
    if (w.kind === "a") {
      again = waits.add("b", 20);
      w.reject(new Error("a is late"));
    } else w.resolve("b late too");
  });
  let rejected = "";
  try {
    await waits.add("a", 10)!;
  } catch (error) {
    rejected = (error as Error).message;
  }
  equal(rejected, "a is late", "rejection");
  check(again !== undefined, "expire could not add a wait");
  equal(await again!, "b late too", "the wait added inside expire timed out");
}

/** Exported for test/waits.test.js: 200 turns of wait / wake, as a connection's pump makes them. */
export async function pumpLoop(turns: number): Promise<number> {
  const waits = new Waits<Kind, string>(1, timedOut);
  let woken = 0;
  for (let i = 0; i < turns; i++) {
    const p = waits.add("a", 5000)!;
    waits.resolveAll("readable");
    if ((await p) === "readable") woken++;
  }
  waits.stop();
  return woken;
}

const CASES: [string, () => Promise<void>][] = [
  ["timeout-ends-a-wait", timeoutEndsAWait],
  ["settle-ends-only-what-it-takes", settleEndsOnlyWhatItTakes],
  ["full-table-refuses", fullTableRefuses],
  ["earlier-wait-rearms-the-timer", earlierWaitRearms],
  ["expire-may-reject-and-wait-again", expireMayRejectAndWaitAgain],
];

export async function run(): Promise<void> {
  for (const [name, fn] of CASES) {
    try {
      await fn();
      trace(`ok ${name}\n`);
    } catch (error) {
      trace(`not ok ${name} ${why(error)}\n`);
    }
  }
  trace("done\n");
}
