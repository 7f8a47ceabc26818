// Node side of the relay tests (not device code): the relay server (tools/relay) on 127.0.0.1, the runner of the
// device scenarios (test/device/relay/scenarios.ts), the real tox-bootstrapd in a network namespace of its own, and
// the copy of @noble/* into build/sim that lets XS import them.
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Simulator } from "../../../sim/simulator.js";
import { parseReport } from "../../support/device.js";
import { RelayServer } from "../../../tools/relay/server.js";
import { crypto } from "../../../tools/relay/shared.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const MANIFEST = "test/device/relay/manifest.json";

/**
 * The simulator's loader serves a bare specifier such as "@noble/ciphers/salsa.js" from build/sim/@noble/ciphers/
 * salsa.js (and the package's relative imports beside it), but only compiles the project's TypeScript there: the
 * packages' own ESM files are copied in as they are. (To be replaced by the loader reading node_modules itself.)
 */
export function prepareNoble() {
  for (const name of ["ciphers", "curves", "hashes"]) {
    const from = path.join(ROOT, "node_modules/@noble", name);
    const to = path.join(ROOT, "build/sim/@noble", name);
    if (existsSync(path.join(to, "package.json")) &&
      readFileSync(path.join(to, "package.json"), "utf8") === readFileSync(path.join(from, "package.json"), "utf8")) continue;
    cpSync(from, to, { recursive: true, filter: (src) => !src.includes(`${path.sep}src`) && !src.endsWith(".d.ts") && !src.endsWith(".map") });
  }
}

export const hex = (bytes) => crypto.toHex(bytes);
export function newSecret() {
  const key = new Uint8Array(32);
  randomFillSync(key);
  return key;
}

/** tools/relay on 127.0.0.1 (any port); its log lines are kept in `log`. */
export async function startRelay(options = {}) {
  const log = [];
  const secretKey = options.secretKey ?? newSecret();
  const server = new RelayServer({ secretKey, log: (line) => log.push(line), ...options });
  const port = await server.listen(0, "127.0.0.1");
  return { server, port, log, secretKey, publicKey: server.publicKey, keyHex: hex(server.publicKey), close: () => server.close() };
}

/** The expected SHA-256 of `size` bytes of scenarios.ts's stream with `seed`. */
export async function streamDigest(size, seed) {
  const { createHash } = await import("node:crypto");
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >>> 8) * 13 + seed) & 0xff;
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Runs a scenario in XS. relayTest: the scenario's config. onLine(line, sim): each trace line as it comes (the Node
 * side acts on "phase" lines). Resolves { cases, done, aborted, timedOut, traces, digests }.
 */
export async function runScenario(relayTest, { timeout = 60000, onLine } = {}) {
  prepareNoble();
  let sim;
  const pending = [];
  const seed = new Uint32Array(1);
  randomFillSync(seed);
  sim = await Simulator.start({
    manifest: MANIFEST,
    config: { relayTest: { seed: seed[0], ...relayTest } },
    onTrace: onLine ? (line) => pending.push(onLine(line, sim)) : undefined,
  });
  try {
    const { aborted, timedOut, traces } = await sim.run("relay-scenarios", { timeout });
    await Promise.all(pending);
    const digests = {};
    for (const line of traces) {
      const m = /^sha256 (\S+) ([0-9a-f]{64})$/.exec(line);
      if (m) digests[m[1]] = m[2];
    }
    return { ...parseReport(traces), aborted, timedOut, traces, digests };
  } finally {
    await sim.close();
  }
}

// ---- the real tox-bootstrapd ----

/**
 * tox-bootstrapd (Debian toxcore-utils) in a new network namespace that has only `lo` (unshare -n), with its TCP
 * relay on `port` there and a key pair written by us. Throws, with what to install, when the binary is missing.
 * Resolves { pid, port, publicKey, keyHex, log, run(args) (a command inside its namespace), stop() }.
 */
export async function startBootstrapd({ port = 33446, timeout = 10000 } = {}) {
  const which = spawnSync("sh", ["-c", "command -v tox-bootstrapd"], { encoding: "utf8" });
  const binary = which.stdout.trim();
  if (which.status !== 0 || !binary) {
    throw new Error("tox-bootstrapd is not installed: the interop test needs Debian's toxcore-utils " +
      "(apt-get update && apt-get install -y toxcore-utils), which .ci/run installs");
  }
  for (const tool of ["unshare", "nsenter", "ip"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is missing (util-linux / iproute2)`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "bootstrapd-"));
  const secretKey = newSecret();
  const publicKey = crypto.publicKeyOf(secretKey);
  writeFileSync(path.join(dir, "keys"), Buffer.concat([publicKey, secretKey]), { mode: 0o600 });
  writeFileSync(path.join(dir, "config"), [
    `port = ${port - 1}`, `keys_file_path = "${dir}/keys"`, `pid_file_path = "${dir}/pid"`, "enable_ipv6 = false",
    "enable_ipv4_fallback = true", "enable_lan_discovery = false", "enable_tcp_relay = true",
    `tcp_relay_ports = [${port}]`, "enable_motd = false", 'motd = ""', "bootstrap_nodes = ()", "",
  ].join("\n"));
  // sh sets lo up inside the new namespace, then becomes tox-bootstrapd (same pid: nsenter -t pid finds the namespace)
  const child = spawn("unshare", ["-n", "--", "sh", "-c",
    `ip link set lo up && exec ${binary} --config=${dir}/config --foreground --log-backend=stdout`], { stdio: ["ignore", "pipe", "pipe"] });
  const log = [];
  let exited = null;
  child.on("exit", (code, signal) => { exited = signal ?? code; });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tox-bootstrapd did not start within ${timeout} ms:\n${log.join("\n")}`)), timeout);
    const onData = (chunk) => {
      for (const line of String(chunk).split("\n")) {
        if (!line) continue;
        log.push(line);
        if (/^Public Key: /.test(line)) { clearTimeout(timer); resolve(line.slice(12).trim().toLowerCase()); }
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", () => { clearTimeout(timer); reject(new Error(`tox-bootstrapd exited (${exited}):\n${log.join("\n")}`)); });
  });
  let keyHex;
  try {
    keyHex = await ready;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  if (keyHex !== hex(publicKey)) throw new Error(`tox-bootstrapd logged key ${keyHex}, not the one written (${hex(publicKey)})`);
  const pid = child.pid;
  return {
    pid, port, publicKey, keyHex, log,
    /** Runs `node args...` inside the namespace; resolves { code, stdout, stderr }. */
    runNode(args, { timeout: ms = 120000 } = {}) {
      return new Promise((resolve) => {
        const p = spawn("nsenter", ["-t", String(pid), "-n", "--", process.execPath, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "", stderr = "";
        p.stdout.on("data", (d) => { stdout += d; });
        p.stderr.on("data", (d) => { stderr += d; });
        const timer = setTimeout(() => p.kill("SIGKILL"), ms);
        p.on("exit", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
      });
    },
    stop() {
      return new Promise((resolve) => {
        const done = () => { rmSync(dir, { recursive: true, force: true }); resolve(exited); };
        if (exited !== null) return done();
        child.once("exit", done);
        child.kill("SIGTERM");
        setTimeout(() => { if (exited === null) child.kill("SIGKILL"); }, 3000);
      });
    },
  };
}
