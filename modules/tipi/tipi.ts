// tipi: the device side of the TIPI TLS extension (raw extension 0x24; wire format in tipi/protocol, its numbers in
// tipi/wire). A host sends length-framed requests over a link (any ECMA-419 byte stream: tipi/tcp-link or
// tipi/uart-link picks it, the manifest picks the link); the device answers each with one frame, in request order,
// and runs up to `maxHandles` TLS connections (modules/tls) on the host's handles 0-255.
//
// TipiServer puts the pieces together and checks the options at the door:
//   tipi/pump     the link: receive ring, framing, one request at a time, the reply ring (in request order);
//                 TipiServer is a Pump
//   tipi/handles  the handle table and the four requests, each handle moving through the table of tipi/states
// startTipi(config) is what a link module calls: it finds the trusted CA in the app's resources (a missing one is
// logged and makes every open fail with that reason; it never stops the device) and starts a TipiServer.
//
// Certificates are always verified against the configured CA (the reference TlsSocket.py verifies nothing).
import Resource from "Resource";
import { type Providers } from "tls/client";
import { DEFAULTS, HANDLES, READ_LENGTH, FRAME_LENGTH_MAX } from "tipi/wire";
import { Pump, why } from "tipi/pump";
import { Handles } from "tipi/handles";

export { DEFAULTS } from "tipi/wire";
export type { Link } from "tipi/pump";

export type TipiOptions = Providers & {
  /** Trusted CA (DER) for every connection; without one every open fails (logged). Verification is always on. */
  ca?: ArrayBuffer;
  /** Per-handle ring sizes, fixed at open (defaults 2048 / 1024). */
  rxSize?: number;
  txSize?: number;
  /** Most TLS connections open at once (default 4). */
  maxHandles?: number;
  /** Longest hostname an open accepts (default 253). */
  maxHostname?: number;
  /** Longest message a frame may carry, both directions (default 4096). */
  maxFrame?: number;
  /** Lookup + connect + handshake limit per open, ms (default 10000). */
  connectTimeout?: number;
  /** A write that can take no byte for this long answers BAD, ms (default 10000). */
  writeTimeout?: number;
  /** Log every handle state transition (`tipi: handle 3 OPEN -> WRITING`). Default false. */
  traceStates?: boolean;
};

/** The manifest's `config.tipi` keys a link module passes on (modules/tipi/manifest.json has the defaults). */
export type TipiConfig = Omit<TipiOptions, "ca"> & {
  /** Name of the resource holding the trusted CA (DER). Default "ca.der". */
  caResource?: string;
};

function integer(value: unknown, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`tipi: ${name} must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}

/**
 * The device side: a Pump (the link) whose requests go to a Handles (the handle table). It is the pump itself, so a
 * link's callbacks reach the pump with no call in between (a board's TLS stack is deep; every frame counts).
 */
export class TipiServer extends Pump {
  readonly #handles: Handles;
  readonly #maxReply: number;

  /** `noCA`: why there is no CA, for the log of every open (when options.ca is missing). */
  constructor(options: TipiOptions, noCA = "the device has no trusted CA") {
    if (!options || typeof options !== "object") throw new TypeError("tipi: options are required");
    const rxSize = integer(options.rxSize, DEFAULTS.rxSize, "rxSize", 64, 1 << 20);
    const maxFrame = integer(options.maxFrame, DEFAULTS.maxFrame, "maxFrame", READ_LENGTH + 3, FRAME_LENGTH_MAX);
    const maxHostname = integer(options.maxHostname, DEFAULTS.maxHostname, "maxHostname", 1, 253);
    const maxReply = Math.min(maxFrame, rxSize);
    super(maxFrame, maxReply, maxHostname);
    this.#maxReply = maxReply;
    // A board's Resource is a host buffer, not an ArrayBuffer: accept any bytes with a length.
    const ca = options.ca && options.ca.byteLength > 0 ? options.ca : undefined;
    this.#handles = new Handles(this, {
      ca,
      noCA,
      dns: options.dns,
      socket: options.socket,
      rxSize,
      txSize: integer(options.txSize, DEFAULTS.txSize, "txSize", 64, 1 << 20),
      maxHandles: integer(options.maxHandles, DEFAULTS.maxHandles, "maxHandles", 1, HANDLES),
      maxReply,
      connectTimeout: integer(options.connectTimeout, DEFAULTS.connectTimeout, "connectTimeout", 1, 600000),
      writeTimeout: integer(options.writeTimeout, DEFAULTS.writeTimeout, "writeTimeout", 1, 600000),
      traceStates: options.traceStates === true,
    });
    this.serve(this.#handles);
  }

  /** Open handles (connections that count against maxHandles). */
  get openHandles(): number { return this.#handles.openHandles; }
  /** The largest read reply this device sends: min(maxFrame, rxSize). */
  get maxReply(): number { return this.#maxReply; }

  // attach(link), linkReadable(count), linkWritable(count), linkLost(reason) and `attached` are the Pump's.

  /** Close every handle and drop the link. */
  close(): void {
    this.linkLost("closed");
    this.#handles.closeAll();
  }
}

/**
 * A TipiServer configured by the manifest's `config.tipi`, trusting the CA in the resource `caResource`. Returns it
 * with a line for the log saying which CA it trusts (or that it has none, and why).
 */
export function startTipi(config: TipiConfig = {}): { tipi: TipiServer; trust: string } {
  const { caResource = "ca.der", ...options } = config;
  let ca: ArrayBuffer | undefined;
  let noCA = "";
  try {
    if (Resource.exists(caResource)) {
      // A Resource is a host buffer, not the ArrayBuffer TLS takes: slice(0) copies it into one.
      ca = new Resource(caResource).slice(0);
      if (!(ca.byteLength > 0)) noCA = `the resource "${caResource}" that should hold the trusted CA is empty`;
    } else {
      noCA = `no trusted CA: the app has no resource "${caResource}" (config.tipi.caResource)`;
    }
  } catch (error) {
    noCA = `no trusted CA: the resource "${caResource}" cannot be read: ${why(error)}`;
  }
  const tipi = new TipiServer(noCA ? { ...options } : { ...options, ca }, noCA);
  return { tipi, trust: noCA ? `${noCA}; every open fails until it has one` : `trusted CA: resource "${caResource}" (${ca!.byteLength} bytes)` };
}
