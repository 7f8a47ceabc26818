// Runs one device scenario (test/device/relay/scenarios.ts) and prints its report as JSON on the last line. The
// tox-bootstrapd test starts it with nsenter inside the relay's network namespace, where 127.0.0.1 is that relay.
import { runScenario } from "./support.js";

const config = JSON.parse(process.argv[2]);
const report = await runScenario(config, { timeout: 60000 });
console.log(JSON.stringify({ cases: report.cases, done: report.done, aborted: report.aborted, timedOut: report.timedOut, digests: report.digests }));
process.exit(0);
