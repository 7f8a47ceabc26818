// The simulator reads manifests as mcconfig does: modules under "*" are named by their file names, and a resource
// path without an extension names every file of that name (the SDK's examples write "../certs/ca" for ca.der).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readManifest } from "../sim/loader.js";
import { Simulator } from "../sim/simulator.js";

const MANIFEST = "test/fixtures/manifest-forms/manifest.json";

test("loader: modules under \"*\" are named by their file names", () => {
  const { modules } = readManifest(MANIFEST);
  assert.is(modules.get("main"), "test/fixtures/manifest-forms/main");
  assert.is(modules.get("helper"), "test/fixtures/manifest-forms/helper");
});

test("loader: a resource named without its extension is every file of that name (ca -> ca.der, ca.pem, ca.key)", () => {
  const { resources } = readManifest(MANIFEST);
  assert.equal([...resources.keys()].sort(), ["ca.der", "ca.key", "ca.pem"]);
});

test("loader: preload lists are merged through includes, each name once, includes first", () => {
  const { preload } = readManifest("apps/telemetry/manifest.json");
  assert.equal(preload.slice(0, 2), ["device/clock", "device/network"], "hosts/esp32's list, from the include");
  assert.ok(preload.includes("ss") && preload.includes("mqtt/client") && preload.includes("tls/client"));
  assert.is(new Set(preload).size, preload.length);
  assert.not.ok(preload.includes("main"), "main is never preloaded");
});

test("loader: a manifest path whose folder does not exist is refused with the path named", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "manifest-"));
  const file = path.join(dir, "manifest.json");
  writeFileSync(file, JSON.stringify({ modules: { main: "./nowhere/main" } }));
  assert.throws(() => readManifest(file), /directory not found: \.\/nowhere\/main/);
});

test("loader: an app built from those forms runs in the simulator and reads its resource", async () => {
  const sim = await Simulator.start({ manifest: MANIFEST });
  try {
    const { aborted, traces } = await sim.run("main", { timeout: 10000 });
    assert.is(aborted, null);
    const size = readFileSync("test/fixtures/certs/ca.der").length;
    assert.ok(traces.includes(`helper loaded; ca.der has ${size} bytes`), traces.join("\n"));
  } finally {
    await sim.close();
  }
});

test.run();
