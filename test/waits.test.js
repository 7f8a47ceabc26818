// modules/waits inside XS: the cases of test/device/waits.ts, then the point of the module counted at the bridge:
// a loop of wait / wake (a connection's pump) makes one Timer.set in all, not one set and one clear per turn.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Simulator } from "../sim/simulator.js";
import { parseReport } from "./support/device.js";

const CASES = [
  "timeout-ends-a-wait",
  "settle-ends-only-what-it-takes",
  "full-table-refuses",
  "earlier-wait-rearms-the-timer",
  "expire-may-reject-and-wait-again",
];
const MOD = "test/device/waits";

let report, loop;
test.before(async () => {
  const sim = await Simulator.start();
  try {
    await sim.crank(`importNow("${MOD}").run();`);
    const ran = await sim.idle({ timeout: 20000 });
    report = { ...parseReport(ran.traces), ...ran };
    const count = (op) => sim.calls.get(op) ?? 0;
    const before = { set: count("timer.set"), clear: count("timer.clear") };
    await sim.crank(`importNow("${MOD}").pumpLoop(200).then((n) => trace("woken " + n + "\\n"));`);
    const looped = await sim.idle({ timeout: 20000 });
    loop = {
      set: count("timer.set") - before.set, clear: count("timer.clear") - before.clear,
      woken: looped.traces.find((l) => l.startsWith("woken ")), idle: !looped.timedOut,
    };
  } finally {
    await sim.close();
  }
});

test("waits: the device ran every case, in order, and ended idle (no timer left behind)", () => {
  assert.is(report.aborted, null);
  assert.is(report.timedOut, false);
  assert.ok(report.done, report.traces.slice(-20).join("\n"));
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`waits: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c?.ok, c?.why ?? "not reported");
  });
}

test("waits: 200 turns of wait / wake make one Timer.set and one Timer.clear (at stop), not 200 of each", () => {
  assert.is(loop.woken, "woken 200");
  assert.is(loop.set, 1);
  assert.is(loop.clear, 1);
  assert.ok(loop.idle, "the loop's timer outlived stop()");
});

test.run();
