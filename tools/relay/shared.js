// The relay server runs the device's own protocol code: modules/relay/constants.ts, crypto.ts and packet.ts are
// compiled (by the project's tsc, tools/relay/tsconfig.json) into build/relay when they changed, their imports by
// manifest name ("relay/constants") pointed at the files beside them, and loaded here. One implementation of the
// handshake, the nonces and the packet checks, on the board and on the server.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const OUT = path.join(ROOT, "build/relay");
const FILES = ["constants", "crypto", "packet"];
const require = createRequire(import.meta.url);

function build() {
  const newest = Math.max(...FILES.map((f) => statSync(path.join(ROOT, "modules/relay", `${f}.ts`)).mtimeMs),
    statSync(path.join(ROOT, "tools/relay/tsconfig.json")).mtimeMs);
  const stamp = path.join(OUT, ".stamp");
  if (existsSync(stamp) && Number(readFileSync(stamp, "utf8")) >= newest) return;
  const tsc = path.join(path.dirname(require.resolve("typescript/package.json")), "bin/tsc");
  try {
    execFileSync(process.execPath, [tsc, "-p", path.join(ROOT, "tools/relay/tsconfig.json")], { cwd: ROOT, stdio: "pipe" });
  } catch (error) {
    throw new Error(`relay: modules/relay does not compile:\n${error.stdout}${error.stderr}`);
  }
  for (const f of FILES) {
    const file = path.join(OUT, `${f}.js`);
    writeFileSync(file, readFileSync(file, "utf8").replace(/from "relay\/([a-z-]+)"/g, 'from "./$1.js"'));
  }
  writeFileSync(stamp, String(newest));
}

build();
export const constants = await import(pathToFileURL(path.join(OUT, "constants.js")).href);
export const crypto = await import(pathToFileURL(path.join(OUT, "crypto.js")).href);
export const packet = await import(pathToFileURL(path.join(OUT, "packet.js")).href);
