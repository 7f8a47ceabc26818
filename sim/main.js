#!/usr/bin/env node
// `npm start`: boot the simulator and run a device app in it, printing its trace log (USAGE below says it all).
import { existsSync } from "node:fs";
import path from "node:path";
import { Simulator } from "./simulator.js";
import { ROOT } from "./loader.js";
import { startDemoServers } from "./demo-servers.js";
import { startBroker, policyOf } from "./broker.js";

const USAGE = `usage: node sim/main.js [options]          (npm start -- [options])
Boots the simulator and runs a device app on the real XS engine, printing the device log on stdout.

  --manifest FILE    the app's manifest (default: the project's manifest.json); a relative FILE is
                     taken from the current directory
  --app MODULE       the module to run (default: main)
  --timeout MS       stop after MS ms (default 60000)
  --config JSON      merged into the manifest's config key by key, e.g. '{"tipi":{"port":0}}'
  --device JSON      the board's clock, Wi-Fi and time servers (sim/host-device.js), e.g. '{"clock":"unset"}'
  --no-demo-servers  do not start the TCP and TLS echo servers the demo app talks to
  --relay PORT       start a Tox TCP relay (tools/relay) on 127.0.0.1:PORT (0: any) beside the device; the app
                     finds it in mc/config as relay: { host, port, key }
  --broker           start an MQTT broker (aedes, TLS with the fixture certificates) on 127.0.0.1 at the port of
                     the mqtt stream type in the app's policy, with a monitor (mqtt.js, subscribed to #) printing
                     "monitor: <topic> <payload>" for what arrives; stopped when the app ends
  --broker-port PORT with --broker: listen on PORT instead (0: any) and give the app its policy with that port
                     (as config.policy)
  -h, --help         this text

npm start is: --manifest apps/telemetry/manifest.json --broker --no-demo-servers (the telemetry app publishes
its config count of readings, then ends). To keep it going: npm start -- --config '{"telemetry":{"count":0}}'
--timeout 3600000 (Ctrl-C to stop).

Exit status:
  0   the app went idle (no socket, listener or timer left)
  1   XS abort: an exception escaped device code (a board would reboot)
  2   still running at --timeout
  3   the simulator could not start (a manifest it cannot read, device code that does not compile)
  64  bad usage: an unknown option, a bad value, a manifest that is not there`;

function parse(argv) {
  const options = { manifest: "manifest.json", app: "main", timeout: 60000, config: {}, device: {}, demo: true, relay: null, broker: false, brokerPort: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === "--manifest") options.manifest = path.resolve(value());
    else if (flag === "--app") options.app = value();
    else if (flag === "--timeout") options.timeout = Number(value());
    else if (flag === "--config") options.config = JSON.parse(value());
    else if (flag === "--device") options.device = JSON.parse(value());
    else if (flag === "--no-demo-servers") options.demo = false;
    else if (flag === "--broker") options.broker = true;
    else if (flag === "--broker-port") {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("--broker-port wants a port from 0 to 65535");
      options.brokerPort = port;
    }
    else if (flag === "--relay") {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("--relay wants a port from 0 to 65535");
      options.relay = { port };
    }
    else if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${flag}`);
  }
  if (!existsSync(path.resolve(ROOT, options.manifest))) {
    throw new Error(`no manifest at ${options.manifest} (a relative --manifest is taken from the current directory, ${process.cwd()})`);
  }
  if (options.brokerPort !== null && !options.broker) throw new Error("--broker-port needs --broker");
  return options;
}

let options;
try {
  options = parse(process.argv.slice(2));
} catch (error) {
  console.error(`fieldsim: ${error.message}\n(node sim/main.js --help for the usage)`);
  process.exit(64);
}

const servers = options.demo ? await startDemoServers() : null;
const config = { ...options.config };
if (servers) config.demo = { tlsHost: "localhost", ca: "ca.der", ...servers.config, ...options.config.demo };
let broker = null;
if (options.broker) {
  try {
    const policy = policyOf(options.manifest);
    if (!policy) throw new Error(`no mqtt stream type in a policy among ${options.manifest}'s resources`);
    broker = await startBroker({ port: options.brokerPort ?? policy.port });
    if (broker.port !== policy.port && config.policy === undefined) {
      config.policy = policy.text.replace(new RegExp(`("port"\\s*:\\s*)${policy.port}\\b`, "g"), `$1${broker.port}`);
    }
    console.log(`fieldsim: broker (aedes, TLS) on 127.0.0.1:${broker.port}, monitor subscribed to #`);
  } catch (error) {
    console.error(`fieldsim: the broker could not start: ${error.message}`);
    await servers?.close();
    process.exit(3);
  }
}
let sim;
try {
  sim = await Simulator.start({
    manifest: options.manifest,
    config,
    device: options.device,
    relay: options.relay ?? undefined,
    onTrace: (line) => console.log(line),
    onListening: (port) => console.log(`fieldsim: device listening on 127.0.0.1:${port}`),
  });
  if (sim.relay) console.log(`fieldsim: relay listening on ${sim.relay.host}:${sim.relay.port}, public key ${sim.relay.keyHex}`);
} catch (error) {
  console.error(`fieldsim: the simulator could not start: ${error.message}`);
  await servers?.close();
  await broker?.close();
  process.exit(3);
}
const result = await sim.run(options.app, { timeout: options.timeout });
await sim.close();
await servers?.close();
await broker?.close();
if (result.aborted) process.exit(1);
if (result.timedOut) {
  console.error(`fieldsim: still running after ${options.timeout} ms`);
  process.exit(2);
}
process.exit(0);
