// Module names for the simulator, read from Moddable manifests as mcconfig reads them: `modules` maps a name to a
// file (the .ts is compiled by tsc, as mcconfig does), `include` pulls in other manifests (SDK ones, written
// `$(MODDABLE)/...`, are provided by hosts/sim instead), `config` becomes `mc/config`.
// Device code is compiled once per change of its sources with the project's own tsc into build/sim.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUILD = path.join(ROOT, "build/sim");
const require = createRequire(import.meta.url);

/** The SDK's specifiers and the simulator's host bindings for them (see hosts/esp32/README.md for the board). */
export const HOST_MODULES = {
  "embedded:io/socket/tcp": "hosts/sim/tcp.js",
  "embedded:io/socket/tcp/tls": "hosts/sim/tls.js",
  "embedded:io/socket/listener": "hosts/sim/listener.js",
  "embedded:io/socket/udp": "hosts/sim/udp.js",
  "embedded:network/dns/resolver/udp": "hosts/sim/dns.js",
  "timer": "hosts/sim/timer.js",
  "debug": "hosts/sim/debug.js",
  "Resource": "hosts/sim/resource.js",
  "embedded:io/serial": "hosts/sim/serial.js",
  "embedded:network/interface/wifi": "hosts/sim/wifi.js",
  "embedded:network/ntp/client": "hosts/sim/ntp.js",
  "time": "hosts/sim/time.js",
};

/** The platform name manifests may use for the simulator; otherwise their "..." (any other platform) applies. */
export const PLATFORM = "sim";

function newestSource(dir, newest = 0) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "build" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = newestSource(full, newest);
    else if (entry.name.endsWith(".ts") || entry.name === "tsconfig.json" || entry.name === "tsconfig.sim.json") {
      newest = Math.max(newest, statSync(full).mtimeMs);
    }
  }
  return newest;
}

/** Compile the device TypeScript (modules/, apps/, hosts/, test/, bench/) into build/sim when a source changed. */
export function compile() {
  const stamp = path.join(BUILD, ".stamp");
  let newest = Math.max(statSync(path.join(ROOT, "tsconfig.json")).mtimeMs, statSync(path.join(ROOT, "tsconfig.sim.json")).mtimeMs);
  for (const dir of ["modules", "apps", "test", "bench", "typings", "hosts"]) {
    if (existsSync(path.join(ROOT, dir))) newest = Math.max(newest, newestSource(path.join(ROOT, dir)));
  }
  if (existsSync(stamp) && Number(readFileSync(stamp, "utf8")) >= newest) return;
  const tsc = path.join(path.dirname(require.resolve("typescript/package.json")), "bin/tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", path.join(ROOT, "tsconfig.sim.json")], { cwd: ROOT, stdio: "pipe" });
  } catch (error) {
    throw new Error(`device code does not compile:\n${error.stdout}${error.stderr}`);
  }
  mkdirSync(BUILD, { recursive: true });
  writeFileSync(stamp, String(newest));
}

/**
 * Read a manifest and everything it includes: { modules: name -> project path (no extension), config, resources,
 * creation }. Its `platforms` entry for the simulator ("sim", else "...") is read after the rest, so it overrides it.
 * `creation` (XS's memory: heap, chunk, stack) is merged as `config` is, as mcconfig merges it (sim/memory.js);
 * `preload` (the modules the SDK runs at build time and keeps in flash) is the union of every manifest's list.
 */
export function readManifest(file, into = { modules: new Map(), config: {}, resources: new Map(), creation: {}, preload: [] }, seen = new Set()) {
  const full = path.resolve(ROOT, file);
  if (seen.has(full)) return into;
  seen.add(full);
  const manifest = JSON.parse(readFileSync(full, "utf8"));
  const dir = path.dirname(full);
  readSection(manifest, dir, into, seen);
  const platform = manifest.platforms?.[PLATFORM] ?? manifest.platforms?.["..."];
  if (platform) readSection(platform, dir, into, seen);
  return into;
}

/**
 * The files a manifest path names, as mcconfig finds them: `dir/name` matches every file called `name` with any
 * extension (so `"../certs/ca"` is `ca.der`), `dir/name.ext` that file, and `dir/prefix*` every file whose name
 * starts with the prefix (`name` is then the rest). Returns [{ name, extension, file }], or undefined when the
 * folder does not exist. (test/support/check-device.js uses it too.)
 */
export function manifestFiles(where) {
  const folder = path.dirname(where);
  const base = path.basename(where);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) return undefined;
  const star = base.lastIndexOf("*");
  const found = [];
  for (const entry of readdirSync(folder)) {
    if (entry.startsWith(".")) continue;
    const extension = entry.endsWith(".d.ts") ? ".d.ts" : path.extname(entry);
    const stem = entry.slice(0, entry.length - extension.length);
    let name;
    if (star >= 0) {
      if (!stem.startsWith(base.slice(0, star))) continue;
      name = stem.slice(star);
    } else if (stem === base || entry === base) name = stem;
    else continue;
    const file = path.join(folder, entry);
    if (statSync(file).isFile()) found.push({ name, extension, file });
  }
  return found;
}

function matches(dir, where) {
  const found = manifestFiles(path.resolve(dir, where));
  if (!found) throw new Error(`manifest: directory not found: ${where}`);
  return found;
}

const isModuleSource = (m) => m.extension === ".ts" || m.extension === ".js";

/** One manifest, or one of its `platforms` entries: includes first, then its own modules, resources and config. */
function readSection(section, dir, into, seen) {
  for (const include of [].concat(section.include ?? [])) {
    if (include.includes("$(MODDABLE)")) continue; // the SDK's own modules: provided by hosts/sim
    readManifest(path.resolve(dir, include.replace(/^\$\(MANIFEST\)\//, "./")), into, seen);
  }
  for (const [key, value] of Object.entries(section.modules ?? {})) {
    for (const where of [].concat(value)) {
      if (typeof where !== "string" || where.includes("$(")) continue; // the SDK's own: provided by hosts/sim
      const star = key.lastIndexOf("*");
      for (const m of matches(dir, where).filter(isModuleSource)) {
        // "name": one module of that name; "prefix*" (and "*"): a module per file, named prefix + file name.
        const name = star >= 0 ? key.slice(0, star) + m.name : key;
        into.modules.set(name, path.relative(ROOT, m.file).replace(/\.(ts|js)$/, ""));
      }
    }
  }
  for (const list of Object.values(section.resources ?? {})) {
    for (const where of [].concat(list)) {
      if (where.includes("$(")) continue;
      for (const m of matches(dir, where)) into.resources.set(m.name + m.extension, m.file);
    }
  }
  into.config = merge(into.config, section.config);
  into.creation = merge(into.creation, section.creation);
  for (const name of [].concat(section.preload ?? [])) if (!into.preload.includes(name)) into.preload.push(name);
}

const isPlain = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** `config` overrides merged into the manifest's, key by key at every depth. */
function merge(base, over) {
  const out = { ...base };
  for (const [key, value] of Object.entries(over ?? {})) {
    out[key] = isPlain(value) && isPlain(base?.[key]) ? merge(base[key], value) : value;
  }
  return out;
}

/** Resolves specifiers to canonical names and loads their source text for the XS worker. */
export class ModuleLoader {
  #modules;
  #config;
  #resources;
  /** The manifests' merged `creation` block ({} if none). */
  creation;
  /** The manifests' `preload` lists, merged (module names). */
  preload;

  constructor({ manifest = "manifest.json", config = {}, resources = {} } = {}) {
    const read = readManifest(manifest);
    this.creation = read.creation;
    this.preload = read.preload;
    this.#modules = read.modules;
    this.#config = merge(read.config, config);
    this.#resources = read.resources;
    for (const [name, file] of Object.entries(resources)) this.#resources.set(name, path.resolve(ROOT, file));
  }

  resource(name) {
    const file = this.#resources.get(name);
    return file && existsSync(file) ? readFileSync(file) : undefined;
  }

  /** A bare specifier -> the canonical name the compartment uses (a project path, or the host name). */
  resolve(specifier) {
    if (HOST_MODULES[specifier] || specifier === "mc/config") return specifier;
    const mapped = this.#modules.get(specifier);
    if (mapped) return mapped;
    return specifier.replace(/\.(ts|js)$/, "");
  }

  load(specifier) {
    if (specifier === "mc/config") return { header: { namespace: "config", config: this.#config } };
    const host = HOST_MODULES[specifier];
    const file = host ? path.join(ROOT, host) : path.join(BUILD, `${this.resolve(specifier)}.js`);
    if (!existsSync(file)) throw new Error(`module not found: ${specifier}`);
    return { header: {}, payload: readFileSync(file) };
  }
}
