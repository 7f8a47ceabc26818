#!/usr/bin/env node
// tipi: drive a device's TIPI TLS extension from a terminal, over TCP (the simulator) or a serial port.
//
//   tipi [--link HOST:PORT | --link /dev/ttyUSB0 | --link sim] [--timeout MS] COMMAND ...
//     open HANDLE HOST:PORT       prints "ok" (device answered 255) or "failed" (0; exit 1)
//     write HANDLE TEXT           sends TEXT; --hex HEX sends bytes, "-" sends standard input
//     read HANDLE [MAX]           prints up to MAX (default 4096) received bytes, raw, to standard output
//     close HANDLE
//     fetch https://HOST[:PORT]/PATH [--handle N] [--body] [--ca FILE] [--host NAME=ADDRESS]
//                                 GET through a handle; prints the response (--body: the body only)
//     serve [--port N] [--ca FILE] [--host NAME=ADDRESS]
//                                 run the simulated device (apps/tipi) until interrupted
//
// The link defaults to $TIPI_LINK, else 127.0.0.1:9924. `--link sim` starts a simulated device for this one
// command (with --ca as its trusted CA and --host names in its DNS); handles live as long as the device does, so
// for several commands run `tipi serve` in one terminal and point the others at it.
// Exit status: 0 done, 1 the device answered failure, 2 usage, 3 link error or timeout.

import { TipiClient, TipiError } from "./tipi-client.js";

const USAGE = `usage: tipi [--link HOST:PORT|PATH|sim] [--timeout MS] COMMAND
  open HANDLE HOST:PORT
  write HANDLE (TEXT | --hex HEX | -)
  read HANDLE [MAX]
  close HANDLE
  fetch https://HOST[:PORT]/PATH [--handle N] [--body] [--ca FILE] [--host NAME=ADDRESS]
  serve [--port N] [--ca FILE] [--host NAME=ADDRESS]`;

class UsageError extends Error {}

function parse(argv) {
  const options = { link: process.env.TIPI_LINK ?? "127.0.0.1:9924", timeout: undefined, handle: 0, body: false,
    hex: undefined, ca: undefined, hosts: {}, port: 9924, verbose: false, args: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === "--link") options.link = value();
    else if (arg === "--timeout") options.timeout = Number(value());
    else if (arg === "--handle") options.handle = Number(value());
    else if (arg === "--body") options.body = true;
    else if (arg === "--hex") options.hex = value();
    else if (arg === "--ca") options.ca = value();
    else if (arg === "--port") options.port = Number(value());
    else if (arg === "--verbose" || arg === "-v") options.verbose = true;
    else if (arg === "--host") {
      const [name, address] = value().split("=");
      if (!name || !address) throw new UsageError("--host wants NAME=ADDRESS");
      options.hosts[name.toLowerCase()] = address;
    } else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith("--") && arg !== "-") throw new UsageError(`unknown option ${arg}`);
    else options.args.push(arg);
  }
  if (!options.args.length) throw new UsageError("no command");
  return options;
}

function handleArg(text) {
  const handle = Number(text);
  if (!Number.isInteger(handle) || handle < 0 || handle > 255) throw new UsageError(`handle must be 0-255, not ${text}`);
  return handle;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function startSimulated(options, port, echo) {
  const { startDevice } = await import("./tipi-sim.js");
  return startDevice({
    tipi: { port },
    ca: options.ca,
    hosts: options.hosts,
    onTrace: (line) => { if (echo || options.verbose) console.error(`device: ${line}`); },
  });
}

async function main(options) {
  const [command, ...args] = options.args;
  if (command === "serve") {
    const device = await startSimulated(options, options.port, true);
    console.error(`tipi: simulated device listening on ${device.link} (Ctrl-C stops it)`);
    await new Promise((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await device.close();
    return 0;
  }
  let device;
  let link = options.link;
  if (link === "sim") {
    device = await startSimulated(options, 0, false);
    link = device.link;
  } else if (options.ca || Object.keys(options.hosts).length) {
    throw new UsageError("--ca and --host configure a simulated device (--link sim); a real device trusts its own CA resource");
  }
  const timeouts = options.timeout ? { openTimeout: options.timeout, writeTimeout: options.timeout, timeout: options.timeout } : {};
  const client = await TipiClient.connect(link, timeouts);
  try {
    switch (command) {
      case "open": {
        if (args.length !== 2) throw new UsageError("open HANDLE HOST:PORT");
        const ok = await client.open(handleArg(args[0]), args[1]);
        console.log(ok ? "ok" : "failed");
        return ok ? 0 : 1;
      }
      case "close": {
        if (args.length !== 1) throw new UsageError("close HANDLE");
        const ok = await client.close(handleArg(args[0]));
        console.log(ok ? "ok" : "failed");
        return ok ? 0 : 1;
      }
      case "write": {
        const handle = handleArg(args[0]);
        let data;
        if (options.hex !== undefined && args.length === 1) {
          if (!/^([0-9a-fA-F]{2})*$/.test(options.hex)) throw new UsageError("--hex wants an even number of hex digits");
          data = Buffer.from(options.hex, "hex");
        } else if (args.length === 2 && args[1] === "-") data = await readStdin();
        else if (args.length === 2) data = Buffer.from(args[1]);
        else throw new UsageError("write HANDLE (TEXT | --hex HEX | -)");
        const ok = await client.write(handle, data);
        console.log(ok ? "ok" : "failed");
        return ok ? 0 : 1;
      }
      case "read": {
        if (args.length < 1 || args.length > 2) throw new UsageError("read HANDLE [MAX]");
        const max = args[1] === undefined ? 4096 : Number(args[1]);
        if (!Number.isInteger(max) || max < 0 || max > 65535) throw new UsageError("MAX must be 0-65535");
        const bytes = await client.read(handleArg(args[0]), max);
        process.stdout.write(bytes);
        return 0;
      }
      case "fetch": {
        if (args.length !== 1) throw new UsageError("fetch https://HOST[:PORT]/PATH");
        const response = await client.fetch(args[0], { handle: handleArg(String(options.handle)) });
        process.stdout.write(options.body ? response.body : response.raw);
        return response.status >= 200 && response.status < 400 ? 0 : 1;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } finally {
    client.end();
    await device?.close();
  }
}

let options;
try {
  options = parse(process.argv.slice(2));
} catch (error) {
  console.error(`tipi: ${error.message}\n${USAGE}`);
  process.exit(2);
}
main(options).then((code) => process.exit(code), (error) => {
  if (error instanceof UsageError) {
    console.error(`tipi: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(`tipi: ${error instanceof TipiError ? `${error.code}: ${error.message}` : error.stack ?? error}`);
  process.exit(error instanceof TipiError ? 3 : 1);
});
