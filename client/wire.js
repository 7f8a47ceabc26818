// The TIPI wire constants for the host, from the device's own file: modules/tipi/wire.ts is written in the
// JavaScript subset of TypeScript (no type syntax, no imports) so that Node can evaluate it as it is. One source of
// truth for both ends; a type annotation slipped into that file makes this import fail loudly, never drift.
import { readFileSync } from "node:fs";

const SOURCE = new URL("../modules/tipi/wire.ts", import.meta.url);
let wire;
try {
  wire = await import(`data:text/javascript;base64,${readFileSync(SOURCE).toString("base64")}`);
} catch (error) {
  throw new Error(`${SOURCE.pathname} must stay plain JavaScript (it is shared with the host): ${error.message}`);
}

export const {
  EXTENSION_TLS, OPEN, CLOSE, WRITE, READ, GOOD, BAD, FRAME_HEADER, FRAME_LENGTH_MAX, REQUEST_HEADER, READ_LENGTH,
  CLOSE_LENGTH, PORT_DIGITS_MAX, HANDLES, DEFAULTS,
} = wire;
