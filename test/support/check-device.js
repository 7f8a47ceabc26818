#!/usr/bin/env node
// `npm run check:device`: will the device code build for a board? Everything that can be known without ESP-IDF:
//
//  1. types: device code type-checks against typings/ (`tsc -p tsconfig.json --noEmit`, the SDK-faithful typings).
//  2. imports: device code (modules/, apps/, hosts/esp32/) imports only relative paths, project module names (defined
//     by a project manifest) and specifiers declared in typings/ (`declare module "..."`).
//  3. hosts: every such specifier that is imported for its value is provided by the simulator (HOST_MODULES in
//     sim/loader.js) and, on esp32, by an SDK manifest that the app's esp32 build includes (the table
//     hosts/esp32/sdk-modules.json; with an SDK at hand, the table is checked against the SDK's own manifests).
//  4. apps: for each app manifest (the root manifest.json, apps/*/manifest.json) on each platform (esp32, lin, sim),
//     every module reachable from `main` resolves: a project name defined for that platform, a relative path (on a
//     board it resolves against the importing module's name, so it must name the same file there), or a specifier
//     the platform provides.
//  5. manifests: every path in every manifest of the repository exists (`$(MODDABLE)/...` ones when an SDK is at
//     hand), and no manifest uses a key mcconfig does not read (the lists below, taken from the SDK's
//     tools/mcmanifest.js and tools/mcconfig.js; with an SDK at hand they are derived again from its sources and
//     compared). mcconfig ignores an unknown key without a word: a `typings` key once cost a board build.
//
//   node test/support/check-device.js [--root DIR] [--sdk DIR | --no-sdk] [--no-typecheck]
//
// The SDK is $MODDABLE, else ../shared/moddable-sdk/src, else ~/.cache/moddable-sdk-8.2.3 (any of them optional).
// Prints what it checked and every problem (file, and what is wrong); exits 1 on a problem, 0 otherwise.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { manifestFiles } from "../../sim/loader.js";

const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// ---- mcconfig's manifest keys (SDK 8.2.3) ------------------------------------------------------------------------

/** Keys mcconfig reads in a manifest and in each of its `platforms` entries (tools/mcmanifest.js, mergePlatform and parseBuild). */
export const COMMON_KEYS = [
  "build", "config", "creation", "defines", "data", "modules", "resources", "ble", "recipes", "commonjs", "preload",
  "strip", "error", "warning", "run", "zephyrConfig", "zephyrShields", "zephyrOverlay", "typescript", "ffi",
];
/** Read at the top level only (parseManifest, mergeDependencies). */
export const TOP_KEYS = [...COMMON_KEYS, "include", "platforms", "dependencies"];
/** Read in a `platforms` entry only (parseManifest). */
export const PLATFORM_KEYS = [...COMMON_KEYS, "include", "dependency", "components"];
/** `creation` (tools/mcconfig.js, filterCreation): key -> its sub-keys (null: a number or string). */
export const CREATION_KEYS = {
  static: null, stack: null, main: null, nativeStack: null,
  chunk: ["initial", "incremental"],
  heap: ["initial", "incremental"],
  keys: ["initial", "incremental", "available", "name", "symbol"],
  parser: ["buffer", "table"],
};

/** The platforms each app is checked for: the board, the SDK's Linux simulator, ours. */
export const PLATFORMS = ["esp32", "lin", "sim"];

// ---- small helpers -----------------------------------------------------------------------------------------------

const isDir = (p) => existsSync(p) && statSync(p).isDirectory();
const isFile = (p) => existsSync(p) && statSync(p).isFile();
const rel = (root, p) => path.relative(root, p) || ".";
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));
const list = (value) => (value === undefined ? [] : [].concat(value));

/** Files under `dir` (recursively) accepted by `keep(name)`, skipping node_modules, build and dot folders. */
function walk(dir, keep, out = []) {
  if (!isDir(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules" || entry.name === "build") continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, keep, out);
    else if (keep(entry.name)) out.push(full);
  }
  return out;
}

/** The SDK root (holding tools/, modules/, examples/), or undefined. */
export function findSdk(given) {
  const candidates = given ? [given] : [process.env.MODDABLE, path.join(HERE, "../shared/moddable-sdk/src"),
    path.join(os.homedir(), ".cache", "moddable-sdk-8.2.3")].filter(Boolean);
  for (const dir of candidates) {
    if (isFile(path.join(dir, "tools", "mcmanifest.js")) && isDir(path.join(dir, "modules"))) return path.resolve(dir);
  }
  return undefined;
}

// ---- imports -------------------------------------------------------------------------------------------------------

/** Source without comments (string and template contents kept), so that import statements can be matched. */
function stripComments(text) {
  let out = "";
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The imports of a TypeScript/JavaScript module: [{ specifier, typeOnly, line }]. */
export function importsOf(source) {
  const text = stripComments(source);
  const found = [];
  const lineAt = (index) => text.slice(0, index).split("\n").length;
  const statement = /(^|[\n;}])\s*(import|export)\s+(type\s+)?([^;"'`]*?)\s*from\s*(["'])([^"']+)\5/g;
  for (const m of text.matchAll(statement)) {
    const clause = m[4].trim();
    let typeOnly = Boolean(m[3]);
    const braces = /^\{([^}]*)\}$/.exec(clause);
    if (!typeOnly && braces) {
      const names = braces[1].split(",").map((s) => s.trim()).filter(Boolean);
      typeOnly = names.length > 0 && names.every((n) => n.startsWith("type "));
    }
    found.push({ specifier: m[6], typeOnly, line: lineAt(m.index + m[0].search(/\b(import|export)\b/)) });
  }
  for (const m of text.matchAll(/(^|[\n;}])\s*import\s*(["'])([^"']+)\2/g)) {
    found.push({ specifier: m[3], typeOnly: false, line: lineAt(m.index + m[0].search(/\bimport\b/)) });
  }
  for (const m of text.matchAll(/\bimport\s*\(\s*(["'])([^"']+)\1\s*\)/g)) {
    found.push({ specifier: m[2], typeOnly: false, line: lineAt(m.index) });
  }
  return found;
}

const isRelative = (s) => s.startsWith("./") || s.startsWith("../");

/** A relative specifier from `file` -> the module file it names (.ts, .js, .d.ts), or undefined. */
function resolveRelative(file, specifier) {
  const base = path.resolve(path.dirname(file), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.js`, `${base}.d.ts`, path.join(base, "index.ts")]) {
    if (isFile(candidate)) return candidate;
  }
  return undefined;
}

/** Specifiers declared in typings/ (`declare module "x"`). */
export function declaredSpecifiers(root) {
  const declared = new Set();
  for (const file of walk(path.join(root, "typings"), (n) => n.endsWith(".d.ts"))) {
    for (const m of readFileSync(file, "utf8").matchAll(/declare\s+module\s+["']([^"']+)["']/g)) declared.add(m[1]);
  }
  return declared;
}

// ---- manifests -----------------------------------------------------------------------------------------------------

/** mcconfig's platform match: the name, then its parents ("esp32/x" -> "esp32"), "name/*" and "*\/tail" forms, else "...". */
export function matchPlatform(platforms, name) {
  if (!platforms) return undefined;
  const parts = name.split("/");
  while (parts.length) {
    const partial = parts.join("/");
    for (const key of Object.keys(platforms)) {
      if (key.endsWith("/*") && partial.startsWith(key.slice(0, -1))) return platforms[key];
      if (key.startsWith("*/") && partial.endsWith(key.slice(1))) return platforms[key];
      if (key === partial) return platforms[key];
    }
    parts.pop();
  }
  return platforms["..."];
}

/** The files a manifest path names, as mcconfig finds them (sim/loader.js); undefined: no such folder. */
export const matchFiles = manifestFiles;

const MODULE_EXTENSIONS = new Set([".ts", ".js", ".mjs", ".json"]);
/** Extensions mcconfig's resources rule skips (its moduleExtensions). */
const RESOURCE_SKIPPED = new Set([".c", ".cc", ".cpp", ".h", ".java", ".js", ".json", ".m"]);

/**
 * Reads an app's manifests for one platform as mcconfig would: includes (project ones always; the SDK's when `sdk` is
 * given), then the manifest itself, then its matching `platforms` entry. For the simulator ("sim") the SDK's
 * manifests are never read (hosts/sim provides their specifiers) and a platform entry is `sim`, else `...`, as
 * sim/loader.js does. Returns { modules: name -> file, dropped: [{ name, file, kept }] (second names mcconfig drops),
 * sdkIncludes: Set of SDK manifest paths reached, manifests: Set of every manifest read, unresolved: [paths it could
 * not read] }.
 */
export function readApp(file, { platform, sdk, root }) {
  const state = {
    modules: new Map(), byFile: new Map(), dropped: [], typings: new Set(), sdkIncludes: new Set(), manifests: new Set(), unresolved: [],
    env: baseEnv(sdk, platform),
  };
  readOne(path.resolve(file), state, { platform, sdk, root, project: true });
  return state;
}

function baseEnv(sdk, platform) {
  if (!sdk) return {};
  return {
    MODDABLE: sdk, BUILD: path.join(sdk, "build"), MODULES: path.join(sdk, "modules"), PLATFORM: platform,
    BUILD_SIMULATOR: path.join(sdk, "build", "simulators"), TYPINGS: path.join(sdk, "typings"),
  };
}

/** $(NAME) -> its value; undefined when a name is unknown. */
function expand(value, env) {
  let missing = false;
  const out = value.replace(/\$\(([^)]+)\)/g, (_, name) => {
    if (name in env) return env[name];
    if (process.env[name] !== undefined && name !== "MODDABLE") return process.env[name];
    missing = true;
    return "";
  });
  return missing ? undefined : out;
}

function readOne(file, state, context) {
  if (state.manifests.has(file)) return;
  state.manifests.add(file);
  const manifest = readJson(file);
  const dir = path.dirname(file);
  const platformEntry = context.platform === "sim"
    ? (manifest.platforms?.sim ?? manifest.platforms?.["..."])
    : matchPlatform(manifest.platforms, context.platform);
  for (const section of [manifest, platformEntry]) {
    if (!section) continue;
    for (const [name, value] of Object.entries(section.build ?? {})) {
      if (typeof value === "string") {
        const expanded = expand(value, state.env);
        if (expanded !== undefined) state.env[name.replace(/ \?=$/, "")] = expanded.startsWith("./") ? path.join(dir, expanded) : expanded;
      }
    }
  }
  const includes = [...list(manifest.include), ...list(platformEntry?.include)];
  for (const include of includes) {
    if (typeof include !== "string") continue;
    if (include.includes("$(")) {
      if (context.platform === "sim" || !context.sdk) {
        if (context.project) state.sdkIncludes.add(include);
        continue;
      }
      const expanded = expand(include, state.env);
      if (expanded === undefined || !isFile(expanded)) {
        state.unresolved.push({ from: file, path: include });
        continue;
      }
      state.sdkIncludes.add(sdkName(expanded, context.sdk));
      readOne(path.resolve(expanded), state, { ...context, project: false });
    } else {
      const target = path.resolve(dir, include);
      if (!isFile(target)) {
        state.unresolved.push({ from: file, path: include });
        continue;
      }
      readOne(target, state, context);
    }
  }
  for (const section of [manifest, platformEntry]) {
    if (!section) continue;
    for (const [key, value] of Object.entries(section.modules ?? {})) {
      for (const where of list(value)) {
        if (typeof where !== "string") continue;
        let full;
        if (where.includes("$(")) {
          if (context.platform === "sim" || !context.sdk) continue;
          full = expand(where, state.env);
          if (full === undefined) continue;
        } else full = path.resolve(dir, where);
        const star = key.lastIndexOf("*");
        // A .d.ts under `modules` gives tsc the module's typing (mcconfig makes it a `paths` entry).
        if (context.project && (matchFiles(full) ?? []).some((m) => m.extension === ".d.ts")) state.typings.add(key);
        for (const m of (matchFiles(full) ?? []).filter((m) => MODULE_EXTENSIONS.has(m.extension) && m.extension !== ".json")) {
          const name = star >= 0 ? key.slice(0, star) + m.name : key;
          // Our loader keeps the last definition of a name. mcconfig (tools/mcmanifest.js, appendFile) keeps the first,
          // and gives a source file one name only: a second name for the same file is dropped without a word.
          if (context.platform === "sim") state.modules.set(name, m.file);
          else {
            const named = state.byFile.get(m.file);
            if (named !== undefined && named !== name) state.dropped.push({ name, file: m.file, kept: named, manifest: file });
            else if (!state.modules.has(name)) {
              state.modules.set(name, m.file);
              state.byFile.set(m.file, name);
            }
          }
        }
      }
    }
  }
}

/** An SDK path written back as `$(MODDABLE)/...`, as our manifests and the table name it. */
function sdkName(full, sdk) {
  return `$(MODDABLE)/${path.relative(sdk, full).split(path.sep).join("/")}`;
}

/** Every manifest of the repository: manifest*.json files outside node_modules and build. */
export function projectManifests(root) {
  return walk(root, (n) => /^manifest.*\.json$/.test(n)).sort();
}

/** Keys mcconfig does not read, in a manifest and its platform entries and its creation block. */
export function unknownKeys(manifest) {
  const problems = [];
  const creation = (block, where) => {
    if (!block || typeof block !== "object") return;
    for (const [key, value] of Object.entries(block)) {
      if (!(key in CREATION_KEYS)) problems.push(`${where}creation.${key}`);
      else if (CREATION_KEYS[key] && value && typeof value === "object") {
        for (const sub of Object.keys(value)) if (!CREATION_KEYS[key].includes(sub)) problems.push(`${where}creation.${key}.${sub}`);
      }
    }
  };
  for (const key of Object.keys(manifest)) if (!TOP_KEYS.includes(key)) problems.push(key);
  creation(manifest.creation, "");
  for (const [name, entry] of Object.entries(manifest.platforms ?? {})) {
    if (!entry || typeof entry !== "object") continue;
    for (const key of Object.keys(entry)) if (!PLATFORM_KEYS.includes(key)) problems.push(`platforms.${name}.${key}`);
    creation(entry.creation, `platforms.${name}.`);
  }
  return problems;
}

/** Paths a manifest names that do not exist: [{ key, path }]. `$(...)` paths only with an SDK (else skipped). */
export function missingPaths(file, sdk) {
  const manifest = readJson(file);
  const dir = path.dirname(file);
  const env = baseEnv(sdk, "esp32");
  const missing = [];
  const check = (key, where, kind) => {
    if (typeof where !== "string") return;
    let full;
    if (where.includes("$(")) {
      if (!sdk) return;
      full = expand(where, env);
      if (full === undefined) return; // a variable set by an SDK manifest ($(IO), $(COMMODETTO), ...)
    } else full = path.resolve(dir, where);
    if (kind === "include") {
      if (!isFile(full)) missing.push({ key, path: where });
      return;
    }
    const found = matchFiles(full);
    if (!found || found.length === 0) missing.push({ key, path: where });
    // mcconfig takes a file with a module's extension for a module, never a resource (tools/mcmanifest.js,
    // ResourcesRule): such a resource is missing on a board while the simulator serves it.
    else if (kind === "resource" && found.every((f) => RESOURCE_SKIPPED.has(f.extension))) missing.push({ key, path: where, why: `a ${found[0].extension} file, which mcconfig takes for a module, never a resource (the simulator would serve it; a board would not have it)` });
  };
  const sections = [["", manifest], ...Object.entries(manifest.platforms ?? {}).map(([n, e]) => [`platforms.${n}.`, e])];
  for (const [prefix, section] of sections) {
    if (!section || typeof section !== "object") continue;
    for (const include of list(section.include)) check(`${prefix}include`, include, "include");
    for (const [name, value] of Object.entries(section.modules ?? {})) for (const where of list(value)) check(`${prefix}modules["${name}"]`, where, "module");
    for (const [name, value] of Object.entries(section.resources ?? {})) for (const where of list(value)) check(`${prefix}resources["${name}"]`, where, "resource");
  }
  return missing;
}

// ---- the SDK's own sources: keys and module table ------------------------------------------------------------------

function methodBody(source, name) {
  const start = source.search(new RegExp(`\\n\\t${name}\\(`));
  if (start < 0) return "";
  const end = source.indexOf("\n\t}\n", start);
  return source.slice(start, end < 0 ? undefined : end);
}

/** The manifest keys mcconfig reads, derived from the SDK's tools/mcmanifest.js and tools/mcconfig.js. */
export function sdkManifestKeys(sdk) {
  const mcmanifest = readFileSync(path.join(sdk, "tools", "mcmanifest.js"), "utf8");
  const mcconfig = readFileSync(path.join(sdk, "tools", "mcconfig.js"), "utf8");
  const reads = (body, object) => new Set([...body.matchAll(new RegExp(`\\b${object}\\.(\\w+)`, "g"))].map((m) => m[1]));
  const common = new Set([...reads(methodBody(mcmanifest, "mergePlatform"), "platform"), ...reads(methodBody(mcmanifest, "parseBuild"), "platform")]);
  const parse = methodBody(mcmanifest, "parseManifest");
  const top = new Set([...common, ...[...parse.matchAll(/"(\w+)" in manifest/g)].map((m) => m[1]),
    ...[...methodBody(mcmanifest, "mergeDependencies").matchAll(/\bmanifest\.(dependencies)\b/g)].map((m) => m[1])]);
  const platform = new Set([...common, ...reads(parse, "platform")]);
  const creation = {};
  for (const m of methodBody(mcconfig, "filterCreation").matchAll(/\bcreation\.(\w+)(?:\.(\w+))?/g)) {
    creation[m[1]] ??= new Set();
    if (m[2]) creation[m[1]].add(m[2]);
  }
  return { common, top, platform, creation };
}

/** Our key lists against the SDK's: what we allow that the SDK does not read. */
export function compareKeys(sdk) {
  const derived = sdkManifestKeys(sdk);
  const problems = [];
  for (const key of TOP_KEYS) if (!derived.top.has(key)) problems.push(`top-level key "${key}"`);
  for (const key of PLATFORM_KEYS) if (!derived.platform.has(key)) problems.push(`platform key "${key}"`);
  for (const [key, subs] of Object.entries(CREATION_KEYS)) {
    if (!derived.creation[key]) problems.push(`creation.${key}`);
    else for (const sub of subs ?? []) if (!derived.creation[key].has(sub)) problems.push(`creation.${key}.${sub}`);
  }
  return problems;
}

// ---- the check -----------------------------------------------------------------------------------------------------

/** Device code: the TypeScript modules under modules/, apps/ and hosts/esp32/ (what mcconfig compiles with tsc). */
function deviceFiles(root) {
  return ["modules", "apps", "hosts/esp32"]
    .flatMap((dir) => walk(path.join(root, dir), (n) => n.endsWith(".ts") && !n.endsWith(".d.ts")));
}

/** The app manifests: the root one and apps/<name>/manifest.json. */
function appManifests(root) {
  const apps = [path.join(root, "manifest.json")];
  if (isDir(path.join(root, "apps"))) {
    for (const entry of readdirSync(path.join(root, "apps")).sort()) {
      const file = path.join(root, "apps", entry, "manifest.json");
      if (isFile(file)) apps.push(file);
    }
  }
  return apps.filter(isFile);
}

async function hostModules(root) {
  const loader = path.join(root, "sim", "loader.js");
  if (!isFile(loader)) return {};
  return (await import(pathToFileURL(loader).href)).HOST_MODULES;
}

/**
 * Run every check. Returns { problems: [string], notes: [string] }.
 * @param {{ root?: string, sdk?: string | null, typecheck?: boolean }} options  sdk null: no SDK even if one is around
 */
export async function checkDevice({ root = HERE, sdk, typecheck = true } = {}) {
  root = path.resolve(root);
  if (sdk === undefined) sdk = findSdk();
  const problems = [];
  const notes = [];
  const problem = (text) => problems.push(text);

  // 1. types
  if (typecheck) {
    const tsc = path.join(root, "node_modules", ".bin", "tsc");
    try {
      execFileSync(isFile(tsc) ? tsc : "tsc", ["-p", path.join(root, "tsconfig.json"), "--noEmit", "--pretty", "false"], { cwd: root, stdio: "pipe" });
      notes.push("types: device code type-checks against typings/");
    } catch (error) {
      const output = `${error.stdout ?? ""}${error.stderr ?? ""}`.trim().split("\n").slice(0, 20).join("\n  ");
      problem(`types: tsc -p tsconfig.json --noEmit failed:\n  ${output}`);
    }
  }

  const declared = declaredSpecifiers(root);
  const HOST = await hostModules(root);
  const tablePath = path.join(root, "hosts", "esp32", "sdk-modules.json");
  const table = isFile(tablePath) ? readJson(tablePath).modules ?? {} : {};
  if (!isFile(tablePath)) problem("hosts: hosts/esp32/sdk-modules.json (which SDK manifest provides each specifier on esp32) is missing");
  const manifests = projectManifests(root);
  const projectNames = new Set();
  for (const file of manifests) {
    const m = readJson(file);
    for (const section of [m, ...Object.values(m.platforms ?? {})]) {
      for (const [key, value] of Object.entries(section?.modules ?? {})) {
        if (list(value).some((v) => typeof v === "string" && !v.includes("$("))) {
          if (!key.includes("*")) projectNames.add(key);
          else {
            for (const where of list(value)) {
              if (typeof where !== "string" || where.includes("$(")) continue;
              for (const f of matchFiles(path.resolve(path.dirname(file), where)) ?? []) projectNames.add(key.slice(0, key.lastIndexOf("*")) + f.name);
            }
          }
        }
      }
    }
  }

  // 2 and 3. imports of device code. hosts/esp32/not-on-board.json names the imports that are known not to build for
  // a board yet, each with why; they are reported, and item 4 still fails any app that reaches them.
  const notOnBoardFile = path.join(root, "hosts/esp32/not-on-board.json");
  const notOnBoard = isFile(notOnBoardFile) ? readJson(notOnBoardFile) : {};
  const external = new Map(); // specifier -> first "file:line" importing it for its value
  let files = 0;
  for (const file of deviceFiles(root)) {
    files++;
    for (const { specifier, typeOnly, line } of importsOf(readFileSync(file, "utf8"))) {
      const where = `${rel(root, file)}:${line}`;
      if (isRelative(specifier)) {
        if (!resolveRelative(file, specifier)) problem(`imports: ${where} imports "${specifier}": no such file`);
        continue;
      }
      if (projectNames.has(specifier)) continue;
      const exempt = notOnBoard[rel(root, file)];
      if (!declared.has(specifier) && exempt?.imports?.includes(specifier)) {
        notes.push(`imports: ${where} imports "${specifier}": not on a board yet, see hosts/esp32/not-on-board.json`);
        continue;
      }
      if (!declared.has(specifier)) {
        problem(`imports: ${where} imports "${specifier}": neither a relative path, a project module name (defined by a manifest) nor declared in typings/`);
        continue;
      }
      if (!typeOnly && !external.has(specifier)) external.set(specifier, where);
    }
  }
  notes.push(`imports: ${files} device files; specifiers used: ${[...external.keys()].sort().join(", ")}`);
  for (const [specifier, where] of external) {
    if (specifier === "mc/config") continue; // made by mcconfig from the manifest's config, by sim/loader.js here
    if (!HOST[specifier]) problem(`hosts: "${specifier}" (imported at ${where}) is not provided by the simulator (HOST_MODULES in sim/loader.js)`);
    const row = table[specifier];
    if (!row?.esp32) problem(`hosts: "${specifier}" (imported at ${where}) has no esp32 row in hosts/esp32/sdk-modules.json`);
  }
  for (const specifier of Object.keys(HOST)) {
    if (!table[specifier]) problem(`hosts: the simulator provides "${specifier}" but hosts/esp32/sdk-modules.json does not say what provides it on esp32`);
  }

  // With an SDK: in the device app's build (the root manifest) for each platform, each row's manifest is reached and
  // the specifier is defined.
  if (sdk && isFile(path.join(root, "manifest.json"))) {
    for (const platform of ["esp32", "lin"]) {
      const read = readApp(path.join(root, "manifest.json"), { platform, sdk, root });
      for (const [specifier, row] of Object.entries(table)) {
        if (row.generated || !row[platform]) continue;
        const file = expand(row[platform], baseEnv(sdk, platform));
        if (!isFile(file)) {
          notes.push(`hosts: ${specifier}: ${row[platform]} is not in the SDK at ${sdk} (unverified for ${platform})`);
          continue;
        }
        if (!read.manifests.has(path.resolve(file))) problem(`hosts: hosts/esp32/sdk-modules.json names ${row[platform]} for "${specifier}" on ${platform}, but the device app's ${platform} build does not include it`);
        else if (!read.modules.has(specifier)) problem(`hosts: hosts/esp32/sdk-modules.json says ${row[platform]} provides "${specifier}" on ${platform}; the SDK's manifests define no such module there`);
      }
    }
  }

  // 4. apps, per platform
  const dropped = new Map();
  const notFollowed = new Set();
  for (const app of appManifests(root)) {
    for (const platform of PLATFORMS) {
      const read = readApp(app, { platform, sdk, root });
      const name = `${rel(root, app)} on ${platform}`;
      for (const u of read.unresolved) {
        if (u.path.includes("$(") && !isFile(expand(u.path, baseEnv(sdk, platform)) ?? "")) notFollowed.add(`${u.path} (included by ${path.relative(sdk, u.from)})`);
        else problem(`apps: ${name}: ${rel(root, u.from)} includes ${u.path}, which does not exist`);
      }
      for (const d of read.dropped) {
        if (!d.file.startsWith(root)) continue;
        const key = `${d.manifest}|${d.name}|${d.file}`;
        if (!dropped.has(key)) dropped.set(key, { ...d, platforms: new Set() });
        dropped.get(key).platforms.add(platform);
      }
      const main = read.modules.get("main");
      if (!main) {
        problem(`apps: ${name}: no "main" module`);
        continue;
      }
      const nameOf = new Map([...read.modules].map(([n, f]) => [f, n]));
      const seen = new Set();
      // mcconfig compiles (tsc) and links every module a manifest names, imported or not; our simulator loads only
      // what is imported. So on a board platform every project module of the app is followed, not just main's.
      const queue = platform === "sim" ? [main] : [main, ...[...read.modules.values()].filter((f) => f.startsWith(root) && /\.ts$/.test(f))];
      while (queue.length) {
        const file = queue.shift();
        if (seen.has(file)) continue;
        seen.add(file);
        if (!/\.(ts|js|mjs)$/.test(file) || !file.startsWith(root)) continue; // an SDK module: its own imports are the SDK's
        for (const { specifier, typeOnly, line } of importsOf(readFileSync(file, "utf8"))) {
          if (typeOnly) continue;
          const where = `${rel(root, file)}:${line}`;
          if (isRelative(specifier)) {
            const target = resolveRelative(file, specifier);
            if (!target) continue; // reported above
            // On a board a relative specifier is resolved against the importing module's name, not its file.
            const moduleName = nameOf.get(file);
            if (platform !== "sim" && moduleName) {
              const byName = path.posix.join(path.posix.dirname(moduleName), specifier);
              if (read.modules.get(byName) !== target) {
                problem(`apps: ${name}: ${where} imports "${specifier}": on a board that is module "${byName}" (relative to "${moduleName}"), which ${read.modules.has(byName) ? "is another file" : "is not defined"}`);
              }
            }
            queue.push(target);
            continue;
          }
          if (specifier === "mc/config") continue;
          const project = read.modules.get(specifier);
          if (project && project.startsWith(root)) {
            queue.push(project);
            continue;
          }
          if (platform === "sim") {
            if (!HOST[specifier]) problem(`apps: ${name}: ${where} imports "${specifier}": not a module of this app in the simulator (neither its manifests nor HOST_MODULES)`);
            continue;
          }
          const row = table[specifier];
          if (!row || !row[platform]) {
            problem(`apps: ${name}: ${where} imports "${specifier}": not a module of this app on ${platform} (no project manifest defines it, and hosts/esp32/sdk-modules.json names no ${platform} manifest for it)`);
            continue;
          }
          if (row.typing && !read.typings.has(specifier)) {
            problem(`apps: ${name}: ${where} imports "${specifier}", for which the SDK maps no typing: one of the app's manifests must map it to ${row.typing} under \`modules\` (as hosts/esp32/manifest.json does), or tsc fails with TS7016`);
          }
          if (sdk && isFile(expand(row[platform], baseEnv(sdk, platform)) ?? "")) {
            if (!read.modules.has(specifier)) problem(`apps: ${name}: ${where} imports "${specifier}", which the SDK defines in ${row[platform]}, but that manifest is not in this app's ${platform} build`);
          } else if (!list(row.via).some((via) => read.sdkIncludes.has(via))) {
            problem(`apps: ${name}: ${where} imports "${specifier}": the app's manifests include none of ${list(row.via).join(", ")} (hosts/esp32/sdk-modules.json)`);
          }
        }
      }
    }
  }
  for (const d of dropped.values()) {
    problem(`manifests: ${rel(root, d.manifest)} names ${rel(root, d.file)} "${d.name}", but it is "${d.kept}" already: mcconfig gives a source file one module name and drops "${d.name}" (on ${[...d.platforms].join(", ")}); make "${d.name}" a file of its own`);
  }
  for (const what of notFollowed) notes.push(`apps: ${what} is not in the SDK at hand: not followed`);
  notes.push(`apps: ${appManifests(root).map((a) => rel(root, a)).join(", ")} on ${PLATFORMS.join(", ")}`);

  // 5. manifests: keys and paths
  for (const file of manifests) {
    let manifest;
    try {
      manifest = readJson(file);
    } catch (error) {
      problem(`manifests: ${rel(root, file)}: not JSON (${error.message})`);
      continue;
    }
    for (const key of unknownKeys(manifest)) problem(`manifests: ${rel(root, file)}: "${key}" is not a key mcconfig reads (it would be ignored without a word)`);
    for (const { key, path: where, why } of missingPaths(file, sdk)) problem(`manifests: ${rel(root, file)}: ${key} names ${where}, ${why ?? "which does not exist"}`);
  }
  notes.push(`manifests: ${manifests.length} checked for keys and paths${sdk ? "" : " ($(MODDABLE) paths not checked: no SDK)"}`);
  if (sdk) {
    const keyProblems = compareKeys(sdk);
    for (const p of keyProblems) problem(`manifests: the key list in test/support/check-device.js allows ${p}, which the SDK's tools do not read`);
    notes.push(`sdk: ${sdk} (manifest keys derived from its tools/mcmanifest.js and tools/mcconfig.js${keyProblems.length ? "" : ": they match"})`);
  } else notes.push("sdk: none found (set MODDABLE): the esp32 table and $(MODDABLE) paths are checked against the table only");
  return { problems, notes };
}

// ---- command line --------------------------------------------------------------------------------------------------

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const options = { typecheck: true };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--root") options.root = args[++i];
    else if (args[i] === "--sdk") options.sdk = args[++i];
    else if (args[i] === "--no-sdk") options.sdk = null;
    else if (args[i] === "--no-typecheck") options.typecheck = false;
    else {
      console.error(`check-device: unknown option ${args[i]}\nusage: node test/support/check-device.js [--root DIR] [--sdk DIR | --no-sdk] [--no-typecheck]`);
      process.exit(64);
    }
  }
  if (options.sdk) options.sdk = findSdk(options.sdk) ?? options.sdk;
  const { problems, notes } = await checkDevice(options);
  for (const note of notes) console.log(`  ${note}`);
  for (const p of problems) console.log(`FAIL ${p}`);
  console.log(problems.length ? `check:device: ${problems.length} problem(s)` : "check:device: ok");
  process.exit(problems.length ? 1 : 0);
}
