#!/usr/bin/env node
// Checks that this project's typings/ declare only what the Moddable SDK's own typings declare, so that
// `npm run typecheck` cannot pass device code that the SDK's mcconfig build (which type-checks against the SDK's
// typings, not ours) would refuse.
//
// For each `declare module "X"` in typings/, the SDK's declaration of X is the one mcconfig would use: the .d.ts
// that $(MODDABLE)/examples/manifest_typings.json maps to X. Every name our module exports must be exported there
// too, and so must the members we give it: instance and static members, the properties of constructor and method
// option objects, and of object types nested in them. Each module's imports must name exports the SDK has.
// Global declarations (typings/global.d.ts) are checked the same way against the SDK's global typings
// ($(MODDABLE)/xs/includes/xs.d.ts and typings/global.d.ts, which examples/manifest_base.json gives tsc).
// `embedded:io/socket/tcp/tls` is exempt (the SDK maps no typing to it: ours is the one mcconfig uses), but its
// imports are checked.
//
// It uses the TypeScript 7 compiler API (`typescript/unstable/sync`, which runs the project's tsgo), with two
// in-memory projects: one of our typings, one of the SDK's. Names only: a member we type more widely than the SDK
// is not caught here (the SDK-typed build in `npm run conformance:sdk` is what catches those).
//
//   node test/support/typings-vs-sdk.js [SDK root]     (or MODDABLE=...; the root holds typings/, xs/, examples/)
//
// Prints one line per module checked; exits 1 when something we declare is not in the SDK, 2 when no SDK is found.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { API, SignatureKind, SymbolFlags, ObjectFlags } from "typescript/unstable/sync";
import { SyntaxKind } from "typescript/unstable/ast";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Specifiers whose typing is ours by necessity (no SDK typing is mapped to them): only their imports are checked. */
export const EXEMPT = new Set(["embedded:io/socket/tcp/tls"]);

/** The SDK root: an argument, else $MODDABLE, else the shared checkout, else the cached download. */
export function findSdk(given = process.env.MODDABLE) {
  const candidates = given
    ? [given]
    : ["/work/shared/moddable-sdk/src", path.join(os.homedir(), ".cache", "moddable-sdk-8.2.3")];
  for (const candidate of candidates) {
    for (const dir of [candidate, path.join(candidate, "src")]) {
      if (existsSync(path.join(dir, "typings")) && existsSync(path.join(dir, "examples", "manifest_typings.json")))
        return path.resolve(dir);
    }
  }
  return undefined;
}

/** specifier -> .d.ts file, as mcconfig builds `paths` from manifest_typings.json (each .d.ts a pattern matches). */
export function sdkTypingMap(sdk) {
  const manifest = JSON.parse(readFileSync(path.join(sdk, "examples", "manifest_typings.json"), "utf8"));
  const typings = path.join(sdk, "typings");
  const map = new Map();
  const add = (modules = {}) => {
    for (const [key, value] of Object.entries(modules)) {
      for (const source of [].concat(value)) {
        const file = source.replace("$(TYPINGS)", typings).replace("$(MODDABLE)", sdk);
        if (key.endsWith("*") && file.endsWith("*")) {
          const dir = path.dirname(file);
          if (!existsSync(dir)) continue;
          for (const name of readdirSync(dir).sort()) {
            if (name.endsWith(".d.ts") && statSync(path.join(dir, name)).isFile())
              map.set(key.slice(0, -1) + name.slice(0, -5), path.join(dir, name));
          }
        } else if (existsSync(file + ".d.ts")) {
          map.set(key, file + ".d.ts");
        }
      }
    }
  };
  add(manifest.modules);
  add(manifest.platforms?.["..."]?.modules);
  return map;
}

function listDts(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listDts(full));
    else if (entry.name.endsWith(".d.ts")) out.push(full);
  }
  return out.sort();
}

const hasExport = (node) => (node.modifiers ?? []).some((m) => m.kind === SyntaxKind.ExportKeyword);
const isModuleFile = (sf) => sf.statements.some((s) =>
  s.kind === SyntaxKind.ImportDeclaration || s.kind === SyntaxKind.ExportDeclaration ||
  s.kind === SyntaxKind.ExportAssignment || (s.kind !== SyntaxKind.ModuleDeclaration && hasExport(s)));

/** Top-level declarations of a script file (and of `declare global {}`): [name, name node, meaning]. */
function globalDeclarations(statements) {
  const out = [];
  for (const s of statements) {
    switch (s.kind) {
      case SyntaxKind.InterfaceDeclaration:
      case SyntaxKind.TypeAliasDeclaration:
        out.push([s.name.text, s.name, SymbolFlags.Type]);
        break;
      case SyntaxKind.ClassDeclaration:
      case SyntaxKind.EnumDeclaration:
        out.push([s.name.text, s.name, SymbolFlags.Type | SymbolFlags.Value]);
        break;
      case SyntaxKind.FunctionDeclaration:
        out.push([s.name.text, s.name, SymbolFlags.Value]);
        break;
      case SyntaxKind.VariableStatement:
        for (const d of s.declarationList.declarations) out.push([d.name.text, d.name, SymbolFlags.Value]);
        break;
      case SyntaxKind.ModuleDeclaration:
        if (s.name.kind === SyntaxKind.Identifier && s.name.text === "global" && s.body)
          out.push(...globalDeclarations(s.body.statements));
        else if (s.name.kind === SyntaxKind.Identifier)
          out.push([s.name.text, s.name, SymbolFlags.Namespace | SymbolFlags.Value]);
        break;
    }
  }
  return out;
}

/** `declare module "X" { ... }` statements of a file. */
function moduleDeclarations(sf) {
  return sf.statements.filter((s) => s.kind === SyntaxKind.ModuleDeclaration && s.name.kind === SyntaxKind.StringLiteral);
}

/** Imports inside a module body: [from specifier, imported name ("default" for a default import)]. */
function importsOf(moduleDecl) {
  const out = [];
  for (const s of moduleDecl.body?.statements ?? []) {
    if (s.kind !== SyntaxKind.ImportDeclaration || !s.importClause) continue;
    const from = s.moduleSpecifier.text;
    if (s.importClause.name) out.push([from, "default"]);
    const bindings = s.importClause.namedBindings;
    if (bindings?.kind === SyntaxKind.NamedImports)
      for (const e of bindings.elements) out.push([from, (e.propertyName ?? e.name).text]);
  }
  return out;
}

/**
 * The names a declaration gives, as paths: "read" (a member), "static set" (a static member), "new(0).port" (a
 * property of the constructor's first argument), "resolve(0).onError", "secure.verify" (a nested object type).
 */
class Shapes {
  constructor(checker) {
    this.checker = checker;
  }
  /** Object types behind a type: unions and intersections taken apart. */
  parts(type, seen = new Set()) {
    if (!type || seen.has(type.id)) return [];
    seen.add(type.id);
    if (type.isUnionType() || type.isIntersectionType()) return type.getTypes().flatMap((t) => this.parts(t, seen));
    return [type];
  }
  /**
   * Object types that only the typings declare (type literals, interfaces; not classes, which are compared as the
   * exports they are, and not the standard library's types, the same on both sides): walk into them.
   */
  expandable(type) {
    if (!type.isObjectType() || (type.objectFlags & ObjectFlags.Class) !== 0) return false;
    const declarations = type.getSymbol()?.declarations ?? [];
    return declarations.length > 0 && !declarations.some((d) => isStandardLibrary(d.path));
  }
  props(type, prefix, out, depth, all = false) {
    for (const part of this.parts(type)) {
      if (!all && !this.expandable(part)) continue;
      for (const p of this.checker.getPropertiesOfType(part)) {
        const name = prefix + memberName(p);
        out.add(name);
        if (depth > 0) {
          const t = this.checker.getTypeOfSymbol(p);
          if (t) {
            this.props(t, name + ".", out, depth - 1);
            this.signatures(t, name, out, depth - 1);
          }
        }
      }
    }
  }
  signatures(type, prefix, out, depth) {
    for (const part of this.parts(type)) {
      for (const [kind, label] of [[SignatureKind.Call, ""], [SignatureKind.Construct, "new"]]) {
        const head = `${prefix}${prefix && label ? " " : ""}${label}`;
        for (const sig of this.checker.getSignaturesOfType(part, kind)) {
          sig.parameters?.forEach((_, i) => this.props(this.checker.getParameterType(sig, i), `${head}(${i}).`, out, depth));
          // what a constructor interface's `new` or a factory returns, when only the typings declare its shape
          this.props(this.checker.getReturnTypeOfSignature(sig), `${head}() => `, out, depth);
        }
      }
    }
  }
  /** All member paths of a symbol (an export or a global). */
  of(symbol) {
    const checker = this.checker;
    const s = symbol.flags & SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const out = new Set();
    if (s.flags & (SymbolFlags.Class | SymbolFlags.Interface | SymbolFlags.TypeAlias | SymbolFlags.Enum)) {
      const declared = checker.getDeclaredTypeOfSymbol(s);
      this.props(declared, "", out, 2, true);
      if (!(s.flags & SymbolFlags.Class)) this.signatures(declared, "", out, 2);
    }
    if (s.flags & SymbolFlags.Value) {
      const value = checker.getTypeOfSymbol(s);
      if (value) {
        const statics = new Set();
        this.props(value, "", statics, 2, true);
        statics.delete("prototype");
        const tag = s.flags & SymbolFlags.Class ? "static " : "";
        for (const name of statics) out.add(tag + name);
        this.signatures(value, "", out, 2);
      }
    }
    return out;
  }
}

/** The compiler's own lib.*.d.ts (the same on both sides). */
function isStandardLibrary(file) {
  return /[\\/]lib\.[^\\/]*\.d\.ts$/.test(file) && /typescript/.test(file);
}

/** A member's name; a well-known symbol's (`__@iterator@123`) without the program-specific id. */
function memberName(symbol) {
  return symbol.name.replace(/^(__@[^@]+)@\d+$/, "$1");
}

function openProject(cwd, config, files) {
  const api = new API({
    cwd,
    fs: {
      readFile: (f) => (f === config.path ? JSON.stringify(config.json) : undefined),
      fileExists: (f) => (f === config.path ? true : undefined),
    },
  });
  try {
    const snapshot = api.updateSnapshot({ openProjects: [config.path] });
    const project = snapshot.getProject(config.path);
    if (!project) throw new Error(`typings-vs-sdk: TypeScript did not open ${config.path}`);
    const sources = new Map(files.map((f) => [f, project.program.getSourceFile(f)]));
    for (const [file, sf] of sources) if (!sf) throw new Error(`typings-vs-sdk: ${file} is not in the project`);
    return { api, project, checker: project.checker, sources };
  } catch (error) {
    api.close();
    throw error;
  }
}

const COMPILER = { target: "es2025", lib: ["es2025"], module: "preserve", moduleResolution: "bundler", strict: true, noEmit: true, types: [] };

/**
 * Compare the typings in `typings` (default: this repository's typings/) with the SDK at `sdk`.
 * Returns { ok, lines, problems }: one line per module checked, and one problem per name the SDK lacks.
 */
export function checkTypingsAgainstSdk({ sdk = findSdk(), typings = path.join(ROOT, "typings") } = {}) {
  if (!sdk) throw new Error("typings-vs-sdk: no Moddable SDK found (pass its root, or set MODDABLE)");
  const map = sdkTypingMap(sdk);
  const ourFiles = listDts(typings);
  const ours = openProject(ROOT, { path: path.join(typings, "__typings-vs-sdk__.tsconfig.json"), json: { compilerOptions: COMPILER, files: ourFiles } }, ourFiles);
  let theirs;
  try {
    // What we declare.
    const modules = []; // { specifier, decl, file }
    const globals = []; // [name, nameNode, meaning, file]
    for (const [file, sf] of ours.sources) {
      for (const decl of moduleDeclarations(sf)) modules.push({ specifier: decl.name.text, decl, file });
      const top = isModuleFile(sf)
        ? sf.statements.filter((s) => s.kind === SyntaxKind.ModuleDeclaration && s.name.text === "global")
        : sf.statements;
      for (const g of globalDeclarations(top)) globals.push([...g, file]);
    }

    // The SDK's side: the globals manifest_base.json gives tsc, and the typing mapped to each module we declare (and to
    // what those import), resolvable through `paths` as mcconfig makes them.
    const sdkGlobals = [path.join(sdk, "xs", "includes", "xs.d.ts"), path.join(sdk, "typings", "global.d.ts")].filter((f) => existsSync(f));
    const sdkFiles = [...new Set([...sdkGlobals, ...modules.map((m) => map.get(m.specifier)).filter(Boolean)])];
    const paths = Object.fromEntries([...map].map(([specifier, file]) => [specifier, [file.slice(0, -5)]]));
    theirs = openProject(sdk, { path: path.join(sdk, "__typings-vs-sdk__.tsconfig.json"), json: { compilerOptions: { ...COMPILER, paths }, files: sdkFiles } }, sdkFiles);

    const sdkExports = new Map(); // specifier -> Map(name -> symbol) | null
    const exportsInSdk = (specifier) => {
      if (sdkExports.has(specifier)) return sdkExports.get(specifier);
      let result = null;
      const file = map.get(specifier);
      const sf = file && (theirs.sources.get(file) ?? theirs.project.program.getSourceFile(file));
      const decl = sf && moduleDeclarations(sf).find((d) => d.name.text === specifier);
      if (decl) {
        const symbol = theirs.checker.getSymbolAtLocation(decl.name);
        result = new Map(theirs.checker.getExportsOfModule(symbol).map((e) => [e.name, e]));
      }
      sdkExports.set(specifier, result);
      return result;
    };
    const rel = (f) => path.relative(sdk, f);
    const ourShapes = new Shapes(ours.checker);
    const sdkShapes = new Shapes(theirs.checker);
    const lines = [];
    const problems = [];

    for (const { specifier, decl, file } of modules) {
      const where = path.relative(ROOT, file);
      const missing = [];
      for (const [from, name] of importsOf(decl)) {
        const available = exportsInSdk(from);
        if (!available) missing.push(`imports from "${from}", which has no SDK typing`);
        else if (!available.has(name)) missing.push(`imports ${name} from "${from}", which the SDK does not export`);
      }
      if (EXEMPT.has(specifier)) {
        if (missing.length) problems.push(...missing.map((m) => `${specifier}: ${m}`));
        lines.push(`${missing.length ? "FAIL" : "ok  "} ${specifier} (${where}): exempt, no SDK typing is mapped to it; ${missing.length ? missing.join("; ") : "its imports are all in the SDK"}`);
        continue;
      }
      const theirExports = exportsInSdk(specifier);
      if (!theirExports) {
        problems.push(`${specifier}: the SDK has no typing for it (${map.get(specifier) ? rel(map.get(specifier)) + " does not declare it" : "manifest_typings.json maps no file"})`);
        lines.push(`FAIL ${specifier} (${where}): no SDK typing`);
        continue;
      }
      const symbol = ours.checker.getSymbolAtLocation(decl.name);
      const ourExports = ours.checker.getExportsOfModule(symbol);
      let members = 0;
      for (const e of ourExports) {
        const sdkExport = theirExports.get(e.name);
        if (!sdkExport) {
          missing.push(`exports ${e.name}`);
          continue;
        }
        const mine = ourShapes.of(e);
        const sdkNames = sdkShapes.of(sdkExport);
        members += mine.size;
        for (const m of mine) if (!sdkNames.has(m)) missing.push(`${e.name}: ${m}`);
      }
      problems.push(...missing.map((m) => `${specifier}: ${m} (not in the SDK's ${rel(map.get(specifier))})`));
      lines.push(missing.length
        ? `FAIL ${specifier} (${where}): not in the SDK's ${rel(map.get(specifier))}: ${missing.join("; ")}`
        : `ok   ${specifier} (${where}): ${ourExports.map((e) => e.name).join(", ")} and ${members} member${members === 1 ? "" : "s"}, all in the SDK's ${rel(map.get(specifier))}`);
    }

    // Globals, per file.
    const byFile = new Map();
    for (const g of globals) byFile.set(g[3], [...(byFile.get(g[3]) ?? []), g]);
    const sdkLocation = theirs.sources.get(sdkGlobals[0]);
    for (const [file, list] of byFile) {
      const where = path.relative(ROOT, file);
      const missing = [];
      const seen = new Set();
      for (const [name, nameNode, meaning] of list) {
        if (seen.has(name)) continue;
        seen.add(name);
        const sdkSymbol = theirs.checker.resolveName(name, meaning, sdkLocation);
        if (!sdkSymbol) {
          missing.push(name);
          continue;
        }
        const ourSymbol = ours.checker.getSymbolAtLocation(nameNode);
        const sdkNames = sdkShapes.of(sdkSymbol);
        for (const m of ourShapes.of(ourSymbol)) if (!sdkNames.has(m)) missing.push(`${name}: ${m}`);
      }
      problems.push(...missing.map((m) => `global ${m} (not in the SDK's ${sdkGlobals.map(rel).join(" or ")})`));
      lines.push(missing.length
        ? `FAIL (globals) (${where}): not in the SDK's ${sdkGlobals.map(rel).join(" or ")}: ${missing.join("; ")}`
        : `ok   (globals) (${where}): ${seen.size} names, all in the SDK's ${sdkGlobals.map(rel).join(" or ")}`);
    }
    return { ok: problems.length === 0, sdk, lines, problems };
  } finally {
    ours.api.close();
    theirs?.api.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const sdk = findSdk(process.argv[2] ?? process.env.MODDABLE);
  if (!sdk) {
    console.error(`typings-vs-sdk: no Moddable SDK found at ${process.argv[2] ?? process.env.MODDABLE ?? "/work/shared/moddable-sdk/src or ~/.cache/moddable-sdk-8.2.3"} (pass its root, or set MODDABLE)`);
    process.exit(2);
  }
  const result = checkTypingsAgainstSdk({ sdk });
  console.log(`typings-vs-sdk: our typings/ against the Moddable SDK at ${sdk}`);
  for (const line of result.lines) console.log(line);
  if (!result.ok) {
    console.log(`typings-vs-sdk: ${result.problems.length} name(s) we declare that the SDK does not:`);
    for (const p of result.problems) console.log(`  ${p}`);
    process.exit(1);
  }
}
