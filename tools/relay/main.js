#!/usr/bin/env node
// `npm run relay -- [--port N] [--key-file FILE] [--host ADDRESS]`: the Tox TCP relay (tools/relay/server.js).
// The key file holds the relay's key pair as tox-bootstrapd's keys file does (64 bytes: public key, then secret key),
// so either program can use the other's. It is made on first start, readable by its owner only (mode 0600).
// Logs one line per event on stdout; SIGINT / SIGTERM stop it.
import { existsSync, readFileSync, writeFileSync, statSync } from "node:fs";
import { randomFillSync } from "node:crypto";
import { RelayServer } from "./server.js";
import { crypto } from "./shared.js";

const USAGE = `usage: npm run relay -- [options]
  --port N             TCP port to listen on (default 33445, as tox-bootstrapd's relay ports)
  --host ADDRESS       address to bind (default 0.0.0.0)
  --key-file FILE      the relay's key pair, made on first start with mode 0600 (default ./relay.keys)
  --ping-interval S    ping each client every S seconds (default 30)
  --ping-timeout S     drop a client whose pong is S seconds late (default 10)
  --help`;

export function parseArgs(argv) {
  const options = { port: 33445, host: "0.0.0.0", keyFile: "relay.keys", pingInterval: 30, pingTimeout: 10 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    const number = (min, max) => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${arg} must be an integer from ${min} to ${max}, not ${v}`);
      return n;
    };
    if (arg === "--help" || arg === "-h") options.help = true;
    else if (arg === "--port") options.port = number(0, 65535);
    else if (arg === "--host") options.host = value();
    else if (arg === "--key-file") options.keyFile = value();
    else if (arg === "--ping-interval") options.pingInterval = number(1, 86400);
    else if (arg === "--ping-timeout") options.pingTimeout = number(1, 86400);
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

/** The key pair in `file`: read it, or make it (0600) when the file does not exist. */
export function loadOrCreateKey(file, log) {
  if (!existsSync(file)) {
    const secretKey = new Uint8Array(32);
    randomFillSync(secretKey);
    const publicKey = crypto.publicKeyOf(secretKey);
    writeFileSync(file, Buffer.concat([publicKey, secretKey]), { mode: 0o600, flag: "wx" });
    log(`relay: new key pair saved to ${file} (mode 0600)`);
    return { publicKey, secretKey };
  }
  const bytes = readFileSync(file);
  if (bytes.length !== 64) throw new Error(`${file}: a key file is 64 bytes (public key, secret key), this one is ${bytes.length}`);
  const publicKey = Uint8Array.prototype.slice.call(bytes, 0, 32);
  const secretKey = Uint8Array.prototype.slice.call(bytes, 32, 64);
  if (crypto.toHex(crypto.publicKeyOf(secretKey)) !== crypto.toHex(publicKey)) {
    throw new Error(`${file}: the public key does not belong to the secret key`);
  }
  if ((statSync(file).mode & 0o077) !== 0) log(`relay: WARNING ${file} is readable by others than its owner (chmod 600 it)`);
  log(`relay: key pair read from ${file}`);
  return { publicKey, secretKey };
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`relay: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const log = (line) => console.log(`${new Date().toISOString()} ${line}`);
  let key;
  try {
    key = loadOrCreateKey(options.keyFile, log);
  } catch (error) {
    console.error(`relay: ${error.message}`);
    process.exit(1);
  }
  const server = new RelayServer({
    secretKey: key.secretKey, log, pingInterval: options.pingInterval * 1000, pingTimeout: options.pingTimeout * 1000,
  });
  try {
    await server.listen(options.port, options.host);
  } catch (error) {
    console.error(`relay: cannot listen on ${options.host}:${options.port}: ${error.message}`);
    process.exit(1);
  }
  const stop = async (signal) => {
    log(`relay: ${signal}, closing`);
    await server.close();
    process.exit(0);
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
