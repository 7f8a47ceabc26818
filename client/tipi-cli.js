#!/usr/bin/env node
// tipi: drive a device's TIPI TLS extension from a terminal, over TCP (a simulated device) or a serial port (a
// board). USAGE below is the whole interface, exit codes included; README.md ("The TLS socket extension") walks
// through it, and test/tipi-readme.test.js runs that walk-through as printed.

import https from "node:https";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TipiClient, TipiError } from "./tipi-client.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const USAGE = `usage: tipi [--link HOST:PORT | --link PATH | --link sim] [options] COMMAND ...
Drives a device's TIPI TLS extension (raw extension 0x24) from a terminal.

Commands:
  open HANDLE HOST:PORT          open a TLS connection on HANDLE (0-255): prints ok, or failed (and why)
  write HANDLE TEXT              send TEXT as it is (no line end is added); --hex HEX sends those bytes,
                                 - sends standard input (printf 'GET / HTTP/1.0\\r\\n\\r\\n' | tipi write 0 -)
  read HANDLE [MAX] [--wait MS]  print up to MAX (default 4096) received bytes, raw; nothing buffered prints
                                 nothing, unless --wait: ask again until bytes come, the peer closed, or MS pass
  close HANDLE                   close the handle (the bytes it took go out first)
  fetch https://HOST[:PORT]/PATH [--handle N] [--body]
                                 GET through a handle (default 0); prints the response (--body: the body)
  serve [--port N] [--test-server PORT]
                                 run a simulated device (apps/tipi) on 127.0.0.1:N (default 9924) until
                                 stopped, printing its log on stderr; --test-server: and, ready before it, the
                                 test server below on PORT
  test-server [--port N]         run an HTTPS server for localhost on 127.0.0.1:N (default 8443) with the
                                 repository's test certificates, to try the commands on (it answers any GET)

Options:
  --link L              the device: HOST:PORT (a simulated device: tipi serve), PATH (a board on a serial
                        port, e.g. /dev/ttyUSB0), or sim (a simulated device for this one command);
                        default $TIPI_LINK, else 127.0.0.1:9924
  --ca FILE             (serve, --link sim) the CA the simulated device trusts, PEM or DER (it says which
                        it loaded); without it, the repository's test CA (test/fixtures/certs/ca.der)
  --host NAME=ADDRESS   (serve, --link sim) a name in the simulated device's DNS (localhost is always there)
  --timeout MS          wait this long for each reply (default: open and write 15000, the others 5000)
  -v, --verbose         with --link sim, print the device's whole log on stderr
  -h, --help            this text

Why a request failed is in the device's log: with --link sim the CLI prints it on stderr; with a tipi serve
device it is in that terminal; a board prints it on its debug console.

Exit status:
  0  done: the device answered ok (fetch: a 2xx or 3xx response, whole)
  1  the device answered failure (0): an open, write or close failed; fetch: an error status, or a body cut short
  2  bad usage, also a --ca file that is missing or holds no certificate
  3  the link failed: no connection, closed, or no reply in time (read --wait: nothing came in time)
  4  a simulated device or test server could not start (its port in use)
  5  an internal error (a bug: the stack is printed)`;

class UsageError extends Error {}

/** Exit codes, as USAGE lists them. */
const EXIT = { ok: 0, failed: 1, usage: 2, link: 3, start: 4, internal: 5 };

function parse(argv) {
  const options = { link: process.env.TIPI_LINK ?? "127.0.0.1:9924", timeout: undefined, handle: 0, body: false,
    hex: undefined, ca: undefined, hosts: {}, port: undefined, wait: undefined, testServer: undefined, verbose: false,
    args: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
      return argv[++i];
    };
    const number = (name, min, max) => {
      const text = value();
      const n = Number(text);
      if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}, not ${text}`);
      return n;
    };
    if (arg === "--link") options.link = value();
    else if (arg === "--timeout") options.timeout = number("--timeout", 1, 3600000);
    else if (arg === "--handle") options.handle = number("--handle", 0, 255);
    else if (arg === "--body") options.body = true;
    else if (arg === "--hex") options.hex = value();
    else if (arg === "--ca") options.ca = value();
    else if (arg === "--port") options.port = number("--port", 0, 65535);
    else if (arg === "--wait") options.wait = number("--wait", 0, 3600000);
    else if (arg === "--test-server") options.testServer = number("--test-server", 0, 65535);
    else if (arg === "--verbose" || arg === "-v") options.verbose = true;
    else if (arg === "--host") {
      const [name, address] = value().split("=");
      if (!name || !address) throw new UsageError("--host wants NAME=ADDRESS");
      options.hosts[name.toLowerCase()] = address;
    } else if (arg === "--help" || arg === "-h") {
      options.help = true;
    } else if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option ${arg}`);
    else options.args.push(arg);
  }
  if (options.help) return options;
  if (!options.args.length) throw new UsageError("no command");
  return options;
}

function handleArg(text) {
  const handle = Number(text);
  if (text === undefined || !Number.isInteger(handle) || handle < 0 || handle > 255) throw new UsageError(`HANDLE must be 0-255, not ${text}`);
  return handle;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const say = (line) => process.stderr.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when SIGINT or SIGTERM comes. */
const stopped = () => new Promise((resolve) => {
  process.once("SIGINT", resolve);
  process.once("SIGTERM", resolve);
});

async function startSimulated(options, port, log) {
  const { startDevice } = await import("./tipi-sim.js");
  return startDevice({ tipi: { port }, ca: options.ca, hosts: options.hosts, onTrace: log });
}

async function serve(options) {
  // the test server first: by the time the device takes requests, what it will be asked to open is there
  const server = options.testServer === undefined ? undefined : await startTestServer(options.testServer);
  let device;
  try {
    device = await startSimulated(options, options.port ?? 9924, (line) => say(`device: ${line}`));
  } catch (error) {
    await server?.close();
    throw error;
  }
  const stop = stopped(); // listening for the signals before saying it is ready: a script may stop it at once
  say(`tipi: simulated device listening on ${device.link}; it trusts ${device.trust} (Ctrl-C stops it)`);
  await stop;
  await device.close();
  await server?.close();
  return EXIT.ok;
}

async function testServer(options) {
  const stop = stopped();
  const server = await startTestServer(options.port ?? 8443);
  await stop;
  await server.close();
  return EXIT.ok;
}

/** The HTTPS test server: localhost's test certificate and its issuer (test/fixtures/certs), any GET answered. */
async function startTestServer(port) {
  const certs = path.join(ROOT, "test/fixtures/certs");
  const read = (name) => readFileSync(path.join(certs, name));
  const server = https.createServer({
    cert: Buffer.concat([read("server.pem"), Buffer.from("\n"), read("ca.pem")]), // leaf + issuer, as the board needs
    key: read("server.key"),
  }, (request, response) => {
    response.setHeader("Content-Type", "text/plain");
    response.end(`hello from the tipi test server: you asked for ${request.url}\n`);
  });
  const bound = await new Promise((resolve) => {
    server.once("error", (error) => resolve({ error }));
    server.listen(port, "127.0.0.1", () => resolve({ port: server.address().port }));
  });
  if (bound.error) {
    const busy = bound.error.code === "EADDRINUSE" ? `port ${port} is in use (another tipi test-server?)` : bound.error.message;
    throw new TipiError("TIPI_DEVICE", `the test server could not start: ${busy}`);
  }
  server.on("tlsClientError", () => {});
  say(`tipi: test HTTPS server for localhost on 127.0.0.1:${bound.port} (test/fixtures/certs: server.pem, issued by ca.pem; Ctrl-C stops it)`);
  return {
    close: () => {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** read --wait: ask again while nothing is buffered and the connection is open, until `ms` pass. */
async function readWaiting(client, handle, max, ms) {
  const end = Date.now() + ms;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const bytes = await client.read(handle, max);
    if (bytes.length) return { bytes };
    if (!(await client.write(handle, Buffer.alloc(0)))) return { bytes, ended: true };
    if (Date.now() >= end) return { bytes, timedOut: true };
    await sleep(delay);
  }
}

async function main(options) {
  const [command, ...args] = options.args;
  if (command === "serve") return serve(options);
  if (command === "test-server") return testServer(options);
  if (!["open", "write", "read", "close", "fetch"].includes(command)) throw new UsageError(`unknown command ${command}`);
  let device;
  let link = options.link;
  const deviceLines = [];
  if (link === "sim") {
    device = await startSimulated(options, 0, (line) => {
      deviceLines.push(line);
      if (options.verbose) say(`device: ${line}`);
    });
    say(`tipi: the simulated device trusts ${device.trust}`);
    link = device.link;
  } else if (options.ca || Object.keys(options.hosts).length) {
    throw new UsageError("--ca and --host configure a simulated device (serve, --link sim); a real device trusts its own CA resource");
  }
  /** Why the device said no: its log lines for this command, when this process runs the device. */
  const why = (what) => {
    if (!device) {
      say(`tipi: ${what}: the device answered failure (0); why is in its log (the tipi serve terminal, or a board's debug console)`);
      return;
    }
    const reasons = deviceLines.filter((line) => /^tipi: .*(-> failed|-> refused|-> 0$)|^tipi: handle \d+ released/.test(line));
    say(`tipi: ${what}: the device answered failure (0)${reasons.length ? "; its log says:" : ""}`);
    if (!options.verbose) for (const line of reasons) say(`device: ${line}`);
  };
  const timeouts = options.timeout ? { openTimeout: options.timeout, writeTimeout: options.timeout, timeout: options.timeout } : {};
  let client;
  try {
    client = await TipiClient.connect(link, timeouts);
    switch (command) {
      case "open": {
        if (args.length !== 2) throw new UsageError("open HANDLE HOST:PORT");
        const handle = handleArg(args[0]);
        const ok = await client.open(handle, args[1]);
        console.log(ok ? "ok" : "failed");
        if (!ok) why(`open ${handle} ${args[1]}`);
        return ok ? EXIT.ok : EXIT.failed;
      }
      case "close": {
        if (args.length !== 1) throw new UsageError("close HANDLE");
        const ok = await client.close(handleArg(args[0]));
        console.log(ok ? "ok" : "failed");
        return ok ? EXIT.ok : EXIT.failed;
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
        if (!ok) why(`write ${handle}`);
        return ok ? EXIT.ok : EXIT.failed;
      }
      case "read": {
        if (args.length < 1 || args.length > 2) throw new UsageError("read HANDLE [MAX] [--wait MS]");
        const handle = handleArg(args[0]);
        const max = args[1] === undefined ? 4096 : Number(args[1]);
        if (!Number.isInteger(max) || max < 0 || max > 65535) throw new UsageError("MAX must be 0-65535");
        if (options.wait === undefined) {
          process.stdout.write(await client.read(handle, max));
          return EXIT.ok;
        }
        const { bytes, ended, timedOut } = await readWaiting(client, handle, max, options.wait);
        process.stdout.write(bytes);
        if (ended) say(`tipi: read ${handle}: nothing left: the handle is not open, or its peer closed or reset the connection and every byte that reached the device was read`);
        if (timedOut) {
          say(`tipi: read ${handle}: nothing arrived within ${options.wait} ms`);
          return EXIT.link;
        }
        return EXIT.ok;
      }
      case "fetch": {
        if (args.length !== 1) throw new UsageError("fetch https://HOST[:PORT]/PATH");
        let response;
        try {
          response = await client.fetch(args[0], { handle: options.handle });
        } catch (error) {
          if (error instanceof TipiError && (error.code === "TIPI_OPEN_FAILED" || error.code === "TIPI_WRITE_FAILED")) {
            why(`fetch ${args[0]}`);
            return EXIT.failed;
          }
          throw error;
        }
        process.stdout.write(options.body ? response.body : response.raw);
        if (response.complete === false) {
          const length = response.headers["content-length"];
          say(`tipi: fetch ${args[0]}: the response ended early (${response.body.length}${length ? ` of ${length}` : ""} body bytes): the peer closed or reset the connection`);
          return EXIT.failed;
        }
        return response.status >= 200 && response.status < 400 ? EXIT.ok : EXIT.failed;
      }
    }
  } finally {
    client?.end();
    await device?.close();
  }
  return EXIT.internal;
}

let options;
try {
  options = parse(process.argv.slice(2));
} catch (error) {
  console.error(`tipi: ${error.message}\n${USAGE}`);
  process.exit(EXIT.usage);
}
if (options.help) {
  console.log(USAGE);
  process.exit(EXIT.ok);
}
main(options).then((code) => process.exit(code), (error) => {
  if (error instanceof UsageError) {
    console.error(`tipi: ${error.message}\n${USAGE}`);
    process.exit(EXIT.usage);
  }
  if (error instanceof TipiError) {
    console.error(`tipi: ${error.message}`);
    const code = { TIPI_CA: EXIT.usage, TIPI_BAD_ARGUMENT: EXIT.usage, TIPI_DEVICE: EXIT.start }[error.code] ?? EXIT.link;
    process.exit(code);
  }
  console.error(`tipi: internal error: ${error?.stack ?? error}`);
  process.exit(EXIT.internal);
});
