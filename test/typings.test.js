// Our typings/ are as narrow as the Moddable SDK's (the typings mcconfig type-checks device code against), so
// `npm run typecheck` refuses what a board build refuses. Proof by one name: SDK 8.2.3's `embedded:io/_common` has no
// `Buffer` (the buffer type is the global ByteBuffer), so importing it must fail here too, while `PinSpecifier`,
// which the SDK declares, passes. Each case compiles one small file with our tsconfig and our typings.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TSC = path.join(ROOT, "node_modules", ".bin", "tsc");

/** Type-check `source` (one .ts file) with our tsconfig.json's options, our typings and nothing else. */
async function typecheck(source) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "typings-test-"));
  try {
    await writeFile(path.join(dir, "probe.ts"), source);
    await writeFile(path.join(dir, "tsconfig.json"), JSON.stringify({
      extends: path.join(ROOT, "tsconfig.json"),
      include: [path.join(ROOT, "typings", "**", "*.d.ts"), "probe.ts"],
    }));
    return await new Promise((resolve) => {
      execFile(TSC, ["-p", path.join(dir, "tsconfig.json"), "--noEmit", "--pretty", "false"], { cwd: ROOT }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, output: stdout + stderr });
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Both compile at once: each is a separate tsc process.
const [withBuffer, withPin] = await Promise.all([
  typecheck('import type { Buffer } from "embedded:io/_common";\nexport const probe: Buffer | undefined = undefined;\n'),
  typecheck('import type { PinSpecifier } from "embedded:io/_common";\nexport const probe: PinSpecifier = 2;\n'),
]);

test("typings: importing Buffer from embedded:io/_common fails the typecheck, as in the SDK's build", () => {
  assert.is.not(withBuffer.code, 0, `tsc passed:\n${withBuffer.output}`);
  assert.match(withBuffer.output, /probe\.ts.*error TS\d+:.*'Buffer'/, withBuffer.output);
});

test("typings: importing PinSpecifier (which the SDK declares) passes", () => {
  assert.is(withPin.code, 0, withPin.output);
  assert.not.match(withPin.output, /error TS/);
});

test.run();
