// Negative checks of the conformance suite: for every board rule the simulator reproduces (sim/rules.js), switching
// that one rule off must make each case that asserts it FAIL its expectation. With every rule on, the same cases
// pass (test/conformance.test.js). This proves each case notices a simulator that stops behaving like the board.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { RULES } from "../sim/rules.js";
import { CASES, runCase, expectation, met } from "./support/conformance.js";

test("every board rule names at least one case, and every case it names exists", () => {
  for (const [rule, { cases }] of Object.entries(RULES)) {
    assert.ok(cases.length > 0, `${rule} names no case`);
    for (const name of cases) assert.ok(CASES[name], `${rule} names ${name}, which is not in CASES`);
  }
});

for (const [rule, { cases, off }] of Object.entries(RULES)) {
  for (const name of cases) {
    test(`conformance negative: ${name} fails with ${rule} off (${off})`, async () => {
      const broken = expectation(name, await runCase(name, { rules: { [rule]: false } }));
      assert.not.ok(met(broken), `with ${rule} off the expectation was still met`);
    });
  }
}

test.run();
