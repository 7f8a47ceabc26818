#!/usr/bin/env node
// `npm start`: boot the simulator and run a device app in it, printing its trace log. Exits 0 when the app went
// idle (no socket, listener or timer left), 1 on an XS abort (an exception escaped device code: a board would
// reboot), 2 when it was still running at --timeout.
//
//   node sim/main.js [--manifest FILE] [--app MODULE] [--timeout MS] [--config JSON] [--no-demo-servers]
import { Simulator } from "./simulator.js";
import { startDemoServers } from "./demo-servers.js";

function parse(argv) {
  const options = { manifest: "manifest.json", app: "main", timeout: 60000, config: {}, demo: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === "--manifest") options.manifest = value();
    else if (flag === "--app") options.app = value();
    else if (flag === "--timeout") options.timeout = Number(value());
    else if (flag === "--config") options.config = JSON.parse(value());
    else if (flag === "--no-demo-servers") options.demo = false;
    else if (flag === "--help" || flag === "-h") {
      console.log("usage: node sim/main.js [--manifest FILE] [--app MODULE] [--timeout MS] [--config JSON] [--no-demo-servers]");
      process.exit(0);
    } else throw new Error(`unknown option ${flag}`);
  }
  return options;
}

let options;
try {
  options = parse(process.argv.slice(2));
} catch (error) {
  console.error(`fieldsim: ${error.message}`);
  process.exit(64);
}

const servers = options.demo ? await startDemoServers() : null;
const config = { ...options.config };
if (servers) config.demo = { tlsHost: "localhost", ca: "ca.der", ...servers.config, ...options.config.demo };
const sim = await Simulator.start({
  manifest: options.manifest,
  config,
  onTrace: (line) => console.log(line),
  onListening: (port) => console.log(`fieldsim: device listening on 127.0.0.1:${port}`),
});
const result = await sim.run(options.app, { timeout: options.timeout });
await sim.close();
await servers?.close();
if (result.aborted) process.exit(1);
if (result.timedOut) {
  console.error(`fieldsim: still running after ${options.timeout} ms`);
  process.exit(2);
}
process.exit(0);
