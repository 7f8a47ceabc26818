// tipi/wire: the numbers of the TIPI TLS extension's wire format (raw extension 0x24; frames drawn byte by byte in
// tipi/protocol) and the device's default limits, in one place for both ends: the device imports this module, and
// the host (client/wire.js) loads this very file into Node. So it is written in the JavaScript subset of
// TypeScript: constants and plain objects, no type syntax, no imports (client/wire.js refuses it otherwise).

/** The raw extension number of the TLS extension (RawExtensions.py registers TlsSocket as 0x24). */
export const EXTENSION_TLS = 0x24;
/** Commands, the third byte of a request (wiki: "0x01 open, 0x02 close, 0x03 write, 0x04 read"). */
export const OPEN = 0x01;
export const CLOSE = 0x02;
export const WRITE = 0x03;
export const READ = 0x04;
/** The one-byte replies (TlsSocket.py: GOOD = [255], BAD = [0]). */
export const GOOD = 0xff;
export const BAD = 0x00;

/** Bytes of the link frame header (the 16-bit big-endian length). */
export const FRAME_HEADER = 2;
/** Largest length a frame header can carry. */
export const FRAME_LENGTH_MAX = 0xffff;
/** Bytes before the arguments of every request: extension, handle, command. */
export const REQUEST_HEADER = 3;
/** Length of a whole read request and of a whole close request. */
export const READ_LENGTH = 5;
export const CLOSE_LENGTH = 3;
/** Longest port text an open may carry ("65535"). */
export const PORT_DIGITS_MAX = 5;
/** Handles are one byte: 0-255. */
export const HANDLES = 256;

/**
 * The device's limits when `config.tipi` does not set them (modules/tipi/manifest.json lists the same values, as
 * the app's documented configuration; a test checks they agree). The host sizes its frames and timeouts by them.
 */
export const DEFAULTS = Object.freeze({
  rxSize: 2048,
  txSize: 1024,
  maxHandles: 4,
  maxHostname: 253,
  maxFrame: 4096,
  connectTimeout: 10000,
  writeTimeout: 10000,
});
