// Runs a device test app in the simulator (inside XS) and reads its report: one `ok <name>` or
// `not ok <name> <why>` trace line per case (the same lines the SDK's simulator would print), then `done`.
import { Simulator } from "../../sim/simulator.js";

export const CA = { "ca.der": "test/fixtures/certs/ca.der", "rogue-ca.der": "test/fixtures/certs/rogue-ca.der" };

export function parseReport(lines) {
  const cases = [];
  let done = false;
  for (const line of lines) {
    const m = /^(ok|not ok) (\S+)(?: (.*))?$/.exec(line);
    if (m) cases.push({ name: m[2], ok: m[1] === "ok", why: m[3] ?? "" });
    else if (line === "done") done = true;
  }
  return { cases, done };
}

/** Run `module` until the device is idle; resolves { cases, done, aborted, timedOut, traces }. */
export async function runDevice(module, { timeout = 60000, ...options } = {}) {
  const sim = await Simulator.start({ resources: CA, ...options });
  try {
    const { aborted, timedOut, traces } = await sim.run(module, { timeout });
    return { ...parseReport(traces), aborted, timedOut, traces };
  } finally {
    await sim.close();
  }
}
