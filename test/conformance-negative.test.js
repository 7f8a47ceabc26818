// Negative checks of the conformance suite: with one board rule switched off in the simulator (Simulator.start's
// `rules`), the case that asserts that rule must FAIL its expectation, and pass again with the rule on. This proves
// the case detects a simulator that stops reproducing the board. Same run and same check as test/conformance.test.js.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runCase, expectation, met } from "./support/conformance.js";

// case -> the rule switched off, and why the case must then fail.
const NEGATIVE = [
  ["tls-abort-untrusted", { tlsAbort: false }, "the failure goes to onError: no abort"],
  ["tls-abort-tls13-only", { tlsAbort: false }, "the alert goes to onError: no abort"],
  ["tls-guard-untrusted", { tlsAbort: false }, "nothing is thrown for the guard to catch"],
  ["tcp-host-throws", { tcpHostThrows: false }, "the name is resolved and the socket connects"],
  ["tls-abort-leaf-only", { tlsChainOfTwo: false }, "a leaf alone is accepted: the handshake succeeds"],
  ["tls-guard-leaf-only", { tlsChainOfTwo: false }, "a leaf alone is accepted: nothing to catch"],
  ["tls-module-leaf-only", { tlsChainOfTwo: false }, "a leaf alone is accepted: the connection opens"],
];

for (const [name, rules, why] of NEGATIVE) {
  const off = Object.keys(rules).join(", ");
  test(`conformance negative: ${name} fails with ${off} off (${why})`, async () => {
    const on = expectation(name, await runCase(name));
    assert.ok(met(on), `with every rule on it must pass: ${on.filter((c) => !c.ok).map((c) => `${c.name}: ${c.why}`).join("; ")}`);
    const broken = expectation(name, await runCase(name, { rules }));
    assert.not.ok(met(broken), `with ${off} off the expectation was still met`);
  });
}

test.run();
