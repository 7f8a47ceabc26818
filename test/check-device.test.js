// `npm run check:device` (test/support/check-device.js): the repository passes it, and it fails, naming the file, on
// each thing it is there to catch: a broken import, a key mcconfig does not read, a missing path, a specifier the
// board does not provide, a file given two module names, a .json resource. Each negative case runs the check on a
// copy of the repository with one thing broken, and proves the problem is the one it brought in.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkDevice, importsOf, matchPlatform, unknownKeys } from "./support/check-device.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** A copy of the repository (sources only) with `change(dir)` applied; the check's problems there. */
async function checkCopy(change) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "check-device-"));
  try {
    cpSync(ROOT, dir, {
      recursive: true,
      filter: (source) => !/[/\\](node_modules|build|\.git)$/.test(source),
    });
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    change?.(dir);
    const { problems } = await checkDevice({ root: dir, typecheck: false, sdk: null });
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const edit = (dir, file, fn) => writeFileSync(path.join(dir, file), fn(readFileSync(path.join(dir, file), "utf8")));
const editJson = (dir, file, fn) => edit(dir, file, (text) => `${JSON.stringify(fn(JSON.parse(text)), null, 2)}\n`);

const baseline = await checkCopy();
/** The problems `change` brings in (those of the unchanged copy taken away). */
async function brought(change) {
  const problems = await checkCopy(change);
  return problems.filter((p) => !baseline.includes(p));
}

test("npm run check:device passes on the repository (types, imports, hosts, apps, manifests)", async () => {
  const { code, stdout } = await new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, "test/support/check-device.js")], { cwd: ROOT, timeout: 120000 }, (error, out, err) => {
      resolve({ code: error ? error.code : 0, stdout: out + err });
    });
  });
  assert.is(code, 0, stdout);
  assert.match(stdout, "check:device: ok");
});

test("a broken import fails it: a module importing a name nothing defines", async () => {
  const problems = await brought((dir) => edit(dir, "modules/ring/ring.ts", (s) => `import fs from "node:fs";\n${s}`));
  assert.ok(problems.length > 0);
  assert.ok(problems.every((p) => p.includes('modules/ring/ring.ts:1 imports "node:fs"')), problems.join("\n"));
  assert.match(problems[0], 'imports: modules/ring/ring.ts:1 imports "node:fs": neither a relative path, a project module name');
  // and, for each app that reaches it, on each platform
  assert.ok(problems.some((p) => p.startsWith("apps: manifest.json on esp32: modules/ring/ring.ts:1")), problems.join("\n"));
});

test("a broken import fails it: a relative path to no file", async () => {
  const problems = await brought((dir) => edit(dir, "hosts/esp32/network-lin.ts", (s) => s.replace('from "./network"', 'from "./no-such-file"')));
  assert.ok(problems.some((p) => p.includes('hosts/esp32/network-lin.ts:4 imports "./no-such-file": no such file')), problems.join("\n"));
});

test("a key mcconfig does not read fails it (a `typings` key once cost a board build)", async () => {
  const problems = await brought((dir) => editJson(dir, "modules/ring/manifest.json", (m) => ({ ...m, typings: { ring: "./ring" } })));
  assert.equal(problems, ['manifests: modules/ring/manifest.json: "typings" is not a key mcconfig reads (it would be ignored without a word)']);
});

test("unknown keys in a platform entry and in creation fail it too", async () => {
  const problems = await brought((dir) => editJson(dir, "manifest.json", (m) => ({
    ...m,
    creation: { ...m.creation, chunks: { initial: 1 } },
    platforms: { ...m.platforms, esp32: { ...m.platforms.esp32, preloads: ["ring"] } },
  })));
  assert.ok(problems.includes('manifests: manifest.json: "creation.chunks" is not a key mcconfig reads (it would be ignored without a word)'), problems.join("\n"));
  assert.ok(problems.includes('manifests: manifest.json: "platforms.esp32.preloads" is not a key mcconfig reads (it would be ignored without a word)'), problems.join("\n"));
});

test("a path that does not exist fails it", async () => {
  const problems = await brought((dir) => editJson(dir, "apps/demo/manifest.json", (m) => ({ ...m, resources: { "*": ["../../test/fixtures/certs/nope.der"] } })));
  assert.ok(problems.includes('manifests: apps/demo/manifest.json: resources["*"] names ../../test/fixtures/certs/nope.der, which does not exist'), problems.join("\n"));
});

test("a .json resource fails it: mcconfig takes it for a module, the simulator would serve it", async () => {
  const problems = await brought((dir) => editJson(dir, "apps/demo/manifest.json", (m) => ({ ...m, resources: { "*": ["../../package.json"] } })));
  assert.ok(problems.includes('manifests: apps/demo/manifest.json: resources["*"] names ../../package.json, a .json file, which mcconfig takes for a module, never a resource (the simulator would serve it; a board would not have it)'), problems.join("\n"));
});

test("a specifier the simulator provides but the board's table does not fails it", async () => {
  const problems = await brought((dir) => editJson(dir, "hosts/esp32/sdk-modules.json", (t) => {
    delete t.modules.time;
    return t;
  }));
  // (it names the first importer it meets, one of several device modules)
  assert.ok(problems.some((p) => /^hosts: "time" \(imported at (modules|hosts)\/[\w/-]+\.ts:\d+\) has no esp32 row in hosts\/esp32\/sdk-modules\.json$/.test(p)), problems.join("\n"));
  assert.ok(problems.includes('hosts: the simulator provides "time" but hosts/esp32/sdk-modules.json does not say what provides it on esp32'), problems.join("\n"));
});

test("a board specifier the app's manifests do not include fails it", async () => {
  const problems = await brought((dir) => editJson(dir, "hosts/esp32/manifest.json", (m) => ({ ...m, include: m.include.filter((i) => !i.includes("ntp")) })));
  assert.ok(problems.some((p) => p.startsWith("apps: manifest.json on esp32: hosts/esp32/clock.ts:") && p.includes('"embedded:network/ntp/client": the app\'s manifests include none of $(MODDABLE)/examples/io/udp/ntp/manifest_ntp.json')), problems.join("\n"));
});

test("a module the app never imports still has to build: mcconfig compiles every module its manifests name", async () => {
  // device/link (which needs modules/tipi) named by the manifest apps/demo includes, though apps/demo never imports it
  const problems = await brought((dir) => editJson(dir, "hosts/esp32/manifest.json", (m) => {
    m.platforms.lin.modules["device/link"] = "./link-tcp";
    return m;
  }));
  assert.ok(problems.some((p) => p.startsWith("apps: apps/demo/manifest.json on lin: hosts/esp32/link-tcp.ts:") && p.includes('imports "tipi/tcp-link": not a module of this app on lin')), problems.join("\n"));
});

test("a second module name for one file fails it: mcconfig drops it without a word", async () => {
  const problems = await brought((dir) => editJson(dir, "modules/ring/manifest.json", (m) => ({ ...m, modules: { ...m.modules, "ring/alias": "./ring" } })));
  assert.ok(problems.some((p) => p.startsWith('manifests: modules/ring/manifest.json names modules/ring/ring.ts "ring/alias", but it is "ring" already')), problems.join("\n"));
});

test("imports: type-only imports need no module at run time; others do", () => {
  const found = importsOf([
    'import type { A } from "a";',
    'import { type B, type C } from "b";',
    'import { type D, E } from "c";',
    'import F from "d"; // import G from "commented-out"',
    'export { H } from "e";',
    'import "f";',
    'const s = "import x from \'not-an-import\'";',
  ].join("\n"));
  assert.equal(found.map((i) => [i.specifier, i.typeOnly]), [["a", true], ["b", true], ["c", false], ["d", false], ["e", false], ["f", false]]);
});

test("platforms match as mcconfig matches them", () => {
  const platforms = { esp32: 1, lin: 2, "...": 3, "esp32/*": 4 };
  assert.is(matchPlatform(platforms, "esp32"), 1);
  assert.is(matchPlatform(platforms, "esp32/moddable_two"), 4);
  assert.is(matchPlatform(platforms, "mac"), 3);
  assert.equal(unknownKeys({ include: [], typings: {}, platforms: { esp32: { dependency: [], platforms: {} } } }), ["typings", "platforms.esp32.platforms"]);
});

test.run();
