// The Secure Streams policy: lws' JSON policy layout read into a frozen, typed Policy, or refused whole with a
// PolicyError naming the place and the rule (`s[mqtt_test].port: must be 1-65535`). A bad policy never half-loads:
// nothing is returned until every field has been checked and every reference resolved. Policy is data, code is
// mechanism: the streams find their endpoint, port, protocol, trust and retries here, by stream type name.
//
// The layout is lws' (lib/secure-streams/policy-json.c, lejp_tokens_policy[], and lib/secure-streams/README.md,
// "JSON Policy Database"), read as lws v4.4.5 reads it:
//
//   {
//     "release": "...", "product": "...", "schema-version": 1,
//     "retry": [ { "<table>": { "backoff": [ms, ...], "conceal": n, "jitterpc": pc,
//                               "svalidping": s, "svalidhup": s } }, ... ],
//     "certs": [ { "<cert>": "<base64 DER>" }, ... ],
//     "trust_stores": [ { "name": "<store>", "stack": [ "<cert>", ... ] }, ... ],
//     "s": [ { "<stream type>": { "endpoint": ..., "port": ..., "protocol": "raw" | "h1" | "mqtt", ... } }, ... ]
//   }
//
// Each list element may hold several named entries (lws' `retry[].*`, `certs[].*`, `s[].*`), as lws allows.
// Where we differ from lws, we are stricter and say so: a value of the wrong type, a number out of range, a
// duplicate name, a field that belongs to another protocol, an h2 / ws stream, a server stream or a unix socket
// endpoint are refused here (lws would read atoi() of it, keep the last one, or fail later at connect time).
// References (`retry`, `tls_trust_store`, a trust store's `stack`, `${metadata}` in strings) must resolve, but
// unlike lws they may point forward: the sections are read in the order retry, certs, trust_stores, s.
//
// Fields of the stream types (s[].*):
//   accepted: endpoint, port, protocol, tls, tls_trust_store, retry, timeout_ms, metadata, opportunistic, nailed_up,
//     allow_redirects, server (false only), http_method, http_url, http_expect, http_fail_redirect,
//     http_no_content_length, mqtt_topic, mqtt_subscribe, mqtt_qos, mqtt_retain, mqtt_keep_alive, mqtt_clean_start,
//     mqtt_will_topic, mqtt_will_message, mqtt_will_qos, mqtt_will_retain, mqtt_birth_topic, mqtt_birth_message,
//     mqtt_birth_qos, mqtt_birth_retain
//   ignored with a logged note (lws fields this device does not act on): IGNORED_STREAM_FIELDS below, among them
//     client_cert, use_auth, aws_region, aws_service, aws_iot, perf, proxy_buflen*, client_buflen*, attr_*, ws_*,
//     http_auth_header and the other blob headers, http_multipart_*, rideshare, payload_fmt, direct_proto_str
//   top level: release, product, schema-version, retry, certs, trust_stores, s accepted; via-socks5, metrics, auth
//     ignored with a note. A field lws does not know either is ignored with a note too, as lws ignores it.
//
// Memory: the text is capped in length, its nesting is measured by a scan over the characters before JSON.parse
// (XS's JSON.parse recurses in C: 20000 nested brackets killed the simulator's XS process, a board would reset),
// and the parsed value is walked iteratively with a cap on values. Nothing here recurses over the input.
import { LWSSS_TIMEOUT_FROM_POLICY } from "ss/constants";

// ---- Public types ----------------------------------------------------------------------------------------------

export type Protocol = "raw" | "h1" | "mqtt";

/** A named backoff table (`retry[].*`), as lws' lws_retry_bo_t. */
export interface RetryTable {
  readonly name: string;
  /** ms to wait before each retry in turn; the last one repeats. Empty: lws' default of 3000 ms. */
  readonly backoff: readonly number[];
  /** How many retries are hidden from the stream's owner before LWSSSCS_ALL_RETRIES_FAILED; 65535 = forever. */
  readonly conceal: number;
  /** Up to this percentage is added to each delay at random; 0 means lws' default of 30. */
  readonly jitterpc: number;
  /** Seconds of silence before the connection is probed (0 = never), and before it is dropped. */
  readonly svalidping: number;
  readonly svalidhup: number;
}

/** A named certificate (`certs[].*`). The DER bytes stay private: der() hands out a copy. */
export class Cert {
  readonly name: string;
  readonly byteLength: number;
  #der: ArrayBuffer;
  constructor(name: string, der: ArrayBuffer) {
    this.name = name;
    this.byteLength = der.byteLength;
    this.#der = der;
    Object.freeze(this);
  }
  /** A copy of the certificate (DER), for tls/client's `ca` option. */
  der(): ArrayBuffer {
    return this.#der.slice(0);
  }
}

/** A named list of trusted certificates (`trust_stores[]`). */
export interface TrustStore {
  readonly name: string;
  readonly certs: readonly Cert[];
}

/** A metadata item a stream type declares: its name, and the protocol entity it maps to (an h1 header, or ""). */
export interface Metadata {
  readonly name: string;
  readonly value: string;
}

export interface HttpPolicy {
  readonly method: string;
  /** The URL path, as given (may hold `${metadata}`); "" for none. */
  readonly url: string;
  /** The only response code that counts as success; 0 = any 2xx. */
  readonly expect: number;
  readonly failRedirect: boolean;
  readonly allowRedirects: boolean;
  readonly noContentLength: boolean;
}

export interface MqttMessage {
  readonly topic: string;
  readonly message: string;
  readonly qos: number;
  readonly retain: boolean;
}

export interface MqttPolicy {
  /** Topic this stream publishes on, and topic it subscribes to ("" for none); both may hold `${metadata}`. */
  readonly topic: string;
  readonly subscribe: string;
  readonly qos: number;
  readonly retain: boolean;
  readonly keepAlive: number;
  readonly cleanStart: boolean;
  readonly will: MqttMessage | null;
  readonly birth: MqttMessage | null;
}

/** One stream type (`s[].*`), references resolved. */
export interface StreamType {
  readonly name: string;
  /** Host name or address, or a URL (then the port may come from it); may hold `${metadata}`. */
  readonly endpoint: string;
  /** 0 only when the endpoint is a URL. */
  readonly port: number;
  readonly protocol: Protocol;
  readonly tls: boolean;
  /** The certificates to verify the server with; null: the device's own CA store. */
  readonly trustStore: TrustStore | null;
  /** null: no retries, a failed connection is LWSSSCS_ALL_RETRIES_FAILED (lws with no retry table). */
  readonly retry: RetryTable | null;
  /** For lws_ss_start_timeout(h, LWSSS_TIMEOUT_FROM_POLICY); 0 = none. */
  readonly timeoutMs: number;
  readonly opportunistic: boolean;
  readonly nailedUp: boolean;
  readonly metadata: readonly Metadata[];
  readonly http: HttpPolicy | null;
  readonly mqtt: MqttPolicy | null;
}

export interface Policy {
  readonly release: string;
  readonly product: string;
  readonly schemaVersion: number;
  readonly retry: readonly RetryTable[];
  readonly certs: readonly Cert[];
  readonly trustStores: readonly TrustStore[];
  readonly streams: readonly StreamType[];
  /** The fields that were ignored, by path (`s[mosq_tls].client_cert`); each was logged. */
  readonly ignored: readonly string[];
  /** The stream type of that name, or undefined. */
  lookup(streamType: string): StreamType | undefined;
}

export interface Limits {
  /** Characters of policy text. */
  maxLength: number;
  /** Nesting of lists and objects (lws' own layout needs 6). */
  maxDepth: number;
  /** Values of any kind in the whole policy. */
  maxValues: number;
  maxStreams: number;
  maxRetryTables: number;
  maxCerts: number;
  maxTrustStores: number;
  /** Metadata items per stream type. */
  maxMetadata: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxLength: 32768,
  maxDepth: 8,
  maxValues: 4096,
  maxStreams: 16,
  maxRetryTables: 8,
  maxCerts: 8,
  maxTrustStores: 8,
  maxMetadata: 16,
});

export interface PolicyOptions {
  limits?: Partial<Limits>;
  /** Where the notes about ignored fields go; default trace(). */
  log?: (line: string) => void;
}

/** A refused policy: `path` is where (`s[mqtt_test].port`, `policy`), the message says where and why. */
export class PolicyError extends Error {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = "PolicyError";
    this.path = path;
    this.reason = reason;
  }
}

// ---- lws' fixed sizes ------------------------------------------------------------------------------------------

/** lws keeps at most 8 backoff steps per table (policy-json.c: "> 8 backoff levels"). */
const MAX_BACKOFF_STEPS = 8;
/** lws decodes a certificate into a 3072-byte buffer (policy-json.c MAX_CERT_TEMP). */
const MAX_CERT_BYTES = 3072;
/** lws' trust store holds up to 6 certificates (lws_ss_trust_store_t.ssx509[6]). */
const MAX_STACK = 6;
/** lws keeps a metadata value's length in a byte. */
const MAX_METADATA_VALUE = 255;

const MAX_NAME = 64;
const MAX_TEXT = 512;
const MAX_ENDPOINT = 255;
/** Delays and timeouts: up to a day, which keeps lws' jitter arithmetic exact in a double. */
const MAX_MS = 86400000;

// lws fields (lejp_tokens_policy[]) that this device reads past, with a note.
const IGNORED_TOP_FIELDS: ReadonlySet<string> = new Set(["via-socks5", "metrics", "auth"]);
const IGNORED_STREAM_FIELDS: ReadonlySet<string> = new Set([
  "via-socks5", "plugins", "client_cert", "urgent_tx", "urgent_rx", "attr_priority", "attr_low_latency",
  "attr_high_throughput", "attr_high_reliability", "attr_low_cost", "long_poll", "ws_prioritize_reads", "perf",
  "proxy_buflen", "proxy_buflen_rxflow_on_above", "proxy_buflen_rxflow_off_below", "client_buflen",
  "client_buflen_rxflow_on_above", "client_buflen_rxflow_off_below", "http_resp_map", "http_auth_header",
  "http_dsn_header", "http_fwv_header", "http_devtype_header", "http_auth_preamble", "rideshare", "payload_fmt",
  "nghttp2_quirk_end_stream", "h2q_oflow_txcr", "http_multipart_name", "http_multipart_filename",
  "http_mime_content_type", "http_www_form_urlencoded", "http_cookies", "http_multipart_ss_in", "ws_subprotocol",
  "ws_binary", "local_sink", "options", "server_cert", "server_key", "aws_iot", "swake_validity", "use_auth",
  "aws_region", "aws_service", "direct_proto_str",
]);

/** lws' protocol names (policy-json.c protonames[]) that this device does not speak. */
const UNSUPPORTED_PROTOCOLS: ReadonlySet<string> = new Set(["h2", "h3", "ws"]);

const HTTP_FIELDS: ReadonlySet<string> = new Set([
  "http_method", "http_url", "http_expect", "http_fail_redirect", "http_no_content_length", "allow_redirects",
]);

// ---- Small readers: each checks one value and throws the PolicyError for its path --------------------------------

type Json = unknown;
type JsonObject = { [key: string]: Json };

function isObject(value: Json): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fail(path: string, reason: string): never {
  throw new PolicyError(path, reason);
}

function list(value: Json, path: string): readonly Json[] {
  if (!Array.isArray(value)) fail(path, "must be a list");
  return value;
}

function object(value: Json, path: string): JsonObject {
  if (!isObject(value)) fail(path, "must be an object");
  return value;
}

function text(value: Json, path: string, max = MAX_TEXT): string {
  if (typeof value !== "string") fail(path, "must be a string");
  if (value.length > max) fail(path, `must be at most ${max} characters`);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) fail(path, "must not hold control characters");
  }
  return value;
}

function integer(value: Json, path: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    fail(path, `must be ${min}-${max}`);
  }
  return value;
}

/** true / false. lws sets a flag only for a literal true, so it reads 0 as false: so do we; other numbers are refused. */
function flag(value: Json, path: string): boolean {
  if (value === true || value === false) return value;
  if (value === 0) return false;
  return fail(path, "must be true or false");
}

/** A name given to a table, cert, store, stream type or metadata item: 1-64 printable ASCII characters. */
function checkName(name: string, path: string, what: string): string {
  if (name.length < 1 || name.length > MAX_NAME) fail(path, `${what} name must be 1-${MAX_NAME} characters`);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) fail(path, `${what} name must be printable ASCII without spaces`);
  }
  return name;
}

/** Every `${name}` in `value` must be a declared metadata item. */
function checkSubstitutions(value: string, declared: ReadonlySet<string>, path: string): void {
  let at = value.indexOf("${");
  while (at >= 0) {
    const end = value.indexOf("}", at + 2);
    if (end < 0) fail(path, "has an unterminated ${");
    const name = value.slice(at + 2, end);
    if (!declared.has(name)) fail(path, `\${${name}} is not in this stream type's metadata`);
    at = value.indexOf("${", end + 1);
  }
}

// ---- Base64 (certs): strict, padding optional ------------------------------------------------------------------

const B64 = new Int8Array(128).fill(-1);
{
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < 64; i++) B64[alphabet.charCodeAt(i)] = i;
}

/** The bytes of a base64 string, or a reason it is not one / is too long. */
function base64(value: string, path: string, max: number): ArrayBuffer {
  let end = value.length;
  if (end > 0 && value.charCodeAt(end - 1) === 0x3d) end--;
  if (end > 0 && value.charCodeAt(end - 1) === 0x3d) end--;
  if (end !== value.length && value.length % 4 !== 0) fail(path, "is not base64");
  if (end % 4 === 1) fail(path, "is not base64");
  const size = Math.floor(end / 4) * 3 + (end % 4 === 0 ? 0 : (end % 4) - 1);
  if (size > max) fail(path, `is larger than ${max} bytes`);
  const out = new Uint8Array(size);
  let acc = 0, bits = 0, o = 0;
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    const v = c < 128 ? B64[c]! : -1;
    if (v < 0) fail(path, "is not base64");
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.buffer;
}

// ---- Shape checks before and after JSON.parse ------------------------------------------------------------------

/** The deepest nesting of lists and objects in `source`, stopping as soon as it passes `max`. Strings are skipped. */
function nestingPast(source: string, max: number): boolean {
  let depth = 0, inString = false, escaped = false;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Walks the parsed value with an explicit stack (never recursion) and refuses it past the depth or value caps. */
function checkSize(root: Json, limits: Limits): void {
  const values: Json[] = [root];
  const depths: number[] = [1];
  let count = 0;
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (++count > limits.maxValues) fail("policy", `more than ${limits.maxValues} values`);
    if (typeof value !== "object" || value === null) continue;
    if (depth > limits.maxDepth) fail("policy", `nested deeper than ${limits.maxDepth} levels`);
    const children: readonly Json[] = Array.isArray(value) ? value : Object.values(value as JsonObject);
    for (let i = 0; i < children.length; i++) {
      values.push(children[i]);
      depths.push(depth + 1);
    }
  }
}

/** The named entries of a `section[].*` list: [name, value, path] in order, names checked and unique. */
function namedEntries(
  section: Json, where: string, what: string, max: number, tooMany: string,
): Array<[string, Json, string]> {
  const entries: Array<[string, Json, string]> = [];
  const seen = new Set<string>();
  const elements = list(section, where);
  for (let i = 0; i < elements.length; i++) {
    const element = object(elements[i], `${where}[${i}]`);
    const names = Object.keys(element);
    for (let k = 0; k < names.length; k++) {
      const name = checkName(names[k]!, `${where}[${i}]`, what);
      const path = `${where}[${name}]`;
      if (seen.has(name)) fail(path, "defined twice");
      seen.add(name);
      if (entries.length === max) fail(where, tooMany);
      entries.push([name, element[name], path]);
    }
  }
  return entries;
}

// ---- The sections --------------------------------------------------------------------------------------------

class Notes {
  readonly paths: string[] = [];
  readonly lines: string[] = [];
  ignore(path: string, known: boolean): void {
    this.paths.push(path);
    this.lines.push(`ss/policy: ${path} ignored (${known ? "an lws field this device does not use" : "not an lws policy field"})`);
  }
}

function readRetry(section: Json, limits: Limits, notes: Notes): Map<string, RetryTable> {
  const tables = new Map<string, RetryTable>();
  const entries = namedEntries(section, "retry", "retry table", limits.maxRetryTables,
    `more than ${limits.maxRetryTables} retry tables`);
  for (const [name, value, path] of entries) {
    const body = object(value, path);
    let backoff: readonly number[] = Object.freeze([]);
    let conceal = 0, jitterpc = 0, svalidping = 0, svalidhup = 0;
    for (const key of Object.keys(body)) {
      const at = `${path}.${key}`;
      const v = body[key];
      switch (key) {
        case "backoff": {
          const steps = list(v, at);
          if (steps.length > MAX_BACKOFF_STEPS) fail(at, `more than ${MAX_BACKOFF_STEPS} steps`);
          const ms: number[] = [];
          for (let i = 0; i < steps.length; i++) ms.push(integer(steps[i], `${at}[${i}]`, 0, MAX_MS));
          backoff = Object.freeze(ms);
          break;
        }
        case "conceal": conceal = integer(v, at, 0, 65535); break;
        case "jitterpc": jitterpc = integer(v, at, 0, 100); break;
        case "svalidping": svalidping = integer(v, at, 0, 65535); break;
        case "svalidhup": svalidhup = integer(v, at, 0, 65535); break;
        default: notes.ignore(at, false);
      }
    }
    tables.set(name, Object.freeze({ name, backoff, conceal, jitterpc, svalidping, svalidhup }));
  }
  return tables;
}

function readCerts(section: Json, limits: Limits): Map<string, Cert> {
  const certs = new Map<string, Cert>();
  const entries = namedEntries(section, "certs", "cert", limits.maxCerts, `more than ${limits.maxCerts} certs`);
  for (const [name, value, path] of entries) {
    if (typeof value !== "string") fail(path, "must be a base64 string");
    const der = base64(value, path, MAX_CERT_BYTES);
    // Every X.509 certificate is a DER SEQUENCE: 0x30, then a length.
    if (der.byteLength < 2 || new Uint8Array(der)[0] !== 0x30) fail(path, "is not a DER certificate");
    certs.set(name, new Cert(name, der));
  }
  return certs;
}

function readTrustStores(section: Json, certs: Map<string, Cert>, limits: Limits, notes: Notes): Map<string, TrustStore> {
  const stores = new Map<string, TrustStore>();
  const elements = list(section, "trust_stores");
  if (elements.length > limits.maxTrustStores) fail("trust_stores", `more than ${limits.maxTrustStores} trust stores`);
  for (let i = 0; i < elements.length; i++) {
    const entry = object(elements[i], `trust_stores[${i}]`);
    if (!Object.hasOwn(entry, "name")) fail(`trust_stores[${i}].name`, "missing");
    const name = checkName(text(entry.name, `trust_stores[${i}].name`, MAX_NAME), `trust_stores[${i}].name`, "trust store");
    const path = `trust_stores[${name}]`;
    if (stores.has(name)) fail(path, "defined twice");
    if (!Object.hasOwn(entry, "stack")) fail(`${path}.stack`, "missing");
    const stack = list(entry.stack, `${path}.stack`);
    if (stack.length === 0) fail(`${path}.stack`, "at least one cert required");
    if (stack.length > MAX_STACK) fail(`${path}.stack`, `more than ${MAX_STACK} certs`);
    const chain: Cert[] = [];
    for (let k = 0; k < stack.length; k++) {
      const certName = text(stack[k], `${path}.stack[${k}]`, MAX_NAME);
      const cert = certs.get(certName);
      if (!cert) fail(`${path}.stack`, `unknown cert "${certName}"`);
      chain.push(cert);
    }
    for (const key of Object.keys(entry)) if (key !== "name" && key !== "stack") notes.ignore(`${path}.${key}`, false);
    stores.set(name, Object.freeze({ name, certs: Object.freeze(chain) }));
  }
  return stores;
}

function readMetadata(value: Json, path: string, limits: Limits): Metadata[] {
  const items: Metadata[] = [];
  const seen = new Set<string>();
  const elements = list(value, path);
  for (let i = 0; i < elements.length; i++) {
    const element = object(elements[i], `${path}[${i}]`);
    for (const key of Object.keys(element)) {
      const name = checkName(key, `${path}[${i}]`, "metadata");
      if (seen.has(name)) fail(`${path}[${name}]`, "defined twice");
      seen.add(name);
      if (items.length === limits.maxMetadata) fail(path, `more than ${limits.maxMetadata} items`);
      items.push(Object.freeze({ name, value: text(element[key], `${path}[${name}]`, MAX_METADATA_VALUE) }));
    }
  }
  return items;
}

function readMqttMessage(fields: JsonObject, kind: "will" | "birth", prefix: string): MqttMessage | null {
  const topicKey = `mqtt_${kind}_topic`;
  const has = (key: string) => Object.hasOwn(fields, key);
  if (!has(topicKey)) {
    for (const key of [`mqtt_${kind}_message`, `mqtt_${kind}_qos`, `mqtt_${kind}_retain`]) {
      if (has(key)) fail(`${prefix}.${key}`, `needs ${topicKey}`);
    }
    return null;
  }
  return Object.freeze({
    topic: text(fields[topicKey], `${prefix}.${topicKey}`),
    message: has(`mqtt_${kind}_message`) ? text(fields[`mqtt_${kind}_message`], `${prefix}.mqtt_${kind}_message`) : "",
    qos: has(`mqtt_${kind}_qos`) ? integer(fields[`mqtt_${kind}_qos`], `${prefix}.mqtt_${kind}_qos`, 0, 2) : 0,
    retain: has(`mqtt_${kind}_retain`) ? flag(fields[`mqtt_${kind}_retain`], `${prefix}.mqtt_${kind}_retain`) : false,
  });
}

const MQTT_FIELDS: ReadonlySet<string> = new Set([
  "mqtt_topic", "mqtt_subscribe", "mqtt_qos", "mqtt_retain", "mqtt_keep_alive", "mqtt_clean_start",
  "mqtt_will_topic", "mqtt_will_message", "mqtt_will_qos", "mqtt_will_retain",
  "mqtt_birth_topic", "mqtt_birth_message", "mqtt_birth_qos", "mqtt_birth_retain",
]);
const COMMON_FIELDS: ReadonlySet<string> = new Set([
  "endpoint", "port", "protocol", "tls", "tls_trust_store", "retry", "timeout_ms", "metadata", "opportunistic",
  "nailed_up", "server",
]);

function readStream(
  name: string, value: Json, path: string, retry: Map<string, RetryTable>, stores: Map<string, TrustStore>,
  limits: Limits, notes: Notes,
): StreamType {
  const body = object(value, path);
  const at = (key: string) => `${path}.${key}`;
  const has = (key: string) => Object.hasOwn(body, key);

  // The protocol first: it decides which other fields belong. lws' zeroed default is h1 (LWSSSP_H1 = 0).
  let protocol: Protocol = "h1";
  if (has("protocol")) {
    const given = text(body.protocol, at("protocol"), MAX_NAME);
    if (given === "raw" || given === "h1" || given === "mqtt") protocol = given;
    else if (UNSUPPORTED_PROTOCOLS.has(given)) fail(at("protocol"), `"${given}" is not supported here (raw, h1, mqtt)`);
    else fail(at("protocol"), `unknown protocol "${given}"`);
  }

  for (const key of Object.keys(body)) {
    if (COMMON_FIELDS.has(key)) continue;
    if (HTTP_FIELDS.has(key)) {
      if (protocol !== "h1") fail(at(key), `is an h1 field, this stream type is ${protocol}`);
    } else if (MQTT_FIELDS.has(key)) {
      if (protocol !== "mqtt") fail(at(key), `is an mqtt field, this stream type is ${protocol}`);
    } else notes.ignore(at(key), IGNORED_STREAM_FIELDS.has(key));
  }

  if (has("server") && flag(body.server, at("server"))) fail(at("server"), "server stream types are not supported here");

  const metadata = has("metadata") ? readMetadata(body.metadata, at("metadata"), limits) : [];
  const declared = new Set<string>();
  for (const item of metadata) declared.add(item.name);
  const substituted = (key: string, max = MAX_TEXT): string => {
    const s = text(body[key], at(key), max);
    checkSubstitutions(s, declared, at(key));
    return s;
  };

  if (!has("endpoint")) fail(at("endpoint"), "missing");
  const endpoint = substituted("endpoint", MAX_ENDPOINT);
  if (endpoint.length === 0) fail(at("endpoint"), "must not be empty");
  if (endpoint.charCodeAt(0) === 0x2b) fail(at("endpoint"), "unix domain sockets (+) are not supported here");
  if (endpoint.charCodeAt(0) === 0x21) fail(at("endpoint"), "a server vhost (!) is not supported here");
  if (endpoint.indexOf(" ") >= 0) fail(at("endpoint"), "must not hold spaces");
  const isUrl = endpoint.indexOf("://") > 0;

  let port = 0;
  if (has("port")) port = integer(body.port, at("port"), 1, 65535);
  else if (!isUrl) fail(at("port"), "missing");

  const tls = has("tls") ? flag(body.tls, at("tls")) : false;
  let trustStore: TrustStore | null = null;
  if (has("tls_trust_store")) {
    const storeName = text(body.tls_trust_store, at("tls_trust_store"), MAX_NAME);
    trustStore = stores.get(storeName) ?? fail(at("tls_trust_store"), `unknown trust store "${storeName}"`);
  }
  let retryTable: RetryTable | null = null;
  if (has("retry")) {
    const tableName = text(body.retry, at("retry"), MAX_NAME);
    retryTable = retry.get(tableName) ?? fail(at("retry"), `unknown retry table "${tableName}"`);
  }
  const timeoutMs = has("timeout_ms") ? integer(body.timeout_ms, at("timeout_ms"), 0, MAX_MS) : LWSSS_TIMEOUT_FROM_POLICY;

  let http: HttpPolicy | null = null;
  if (protocol === "h1") {
    if (!has("http_method")) fail(at("http_method"), "missing (h1 needs a method)");
    const method = text(body.http_method, at("http_method"), 16);
    if (!/^[A-Z]+$/.test(method)) fail(at("http_method"), "must be an HTTP method in capitals (GET, POST, ...)");
    let expect = 0;
    if (has("http_expect")) expect = integer(body.http_expect, at("http_expect"), 100, 599);
    http = Object.freeze({
      method,
      url: has("http_url") ? substituted("http_url") : "",
      expect,
      failRedirect: has("http_fail_redirect") ? flag(body.http_fail_redirect, at("http_fail_redirect")) : false,
      allowRedirects: has("allow_redirects") ? flag(body.allow_redirects, at("allow_redirects")) : false,
      noContentLength: has("http_no_content_length")
        ? flag(body.http_no_content_length, at("http_no_content_length")) : false,
    });
  }

  let mqtt: MqttPolicy | null = null;
  if (protocol === "mqtt") {
    const will = readMqttMessage(body, "will", path);
    const birth = readMqttMessage(body, "birth", path);
    if (will) checkSubstitutions(will.topic, declared, at("mqtt_will_topic"));
    if (birth) checkSubstitutions(birth.topic, declared, at("mqtt_birth_topic"));
    mqtt = Object.freeze({
      topic: has("mqtt_topic") ? substituted("mqtt_topic") : "",
      subscribe: has("mqtt_subscribe") ? substituted("mqtt_subscribe") : "",
      qos: has("mqtt_qos") ? integer(body.mqtt_qos, at("mqtt_qos"), 0, 2) : 0,
      retain: has("mqtt_retain") ? flag(body.mqtt_retain, at("mqtt_retain")) : false,
      keepAlive: has("mqtt_keep_alive") ? integer(body.mqtt_keep_alive, at("mqtt_keep_alive"), 0, 65535) : 0,
      cleanStart: has("mqtt_clean_start") ? flag(body.mqtt_clean_start, at("mqtt_clean_start")) : false,
      will,
      birth,
    });
  }

  return Object.freeze({
    name,
    endpoint,
    port,
    protocol,
    tls,
    trustStore,
    retry: retryTable,
    timeoutMs,
    opportunistic: has("opportunistic") ? flag(body.opportunistic, at("opportunistic")) : false,
    nailedUp: has("nailed_up") ? flag(body.nailed_up, at("nailed_up")) : false,
    metadata: Object.freeze(metadata),
    http,
    mqtt,
  });
}

// ---- The policy ------------------------------------------------------------------------------------------------

class LoadedPolicy implements Policy {
  readonly release: string;
  readonly product: string;
  readonly schemaVersion: number;
  readonly retry: readonly RetryTable[];
  readonly certs: readonly Cert[];
  readonly trustStores: readonly TrustStore[];
  readonly streams: readonly StreamType[];
  readonly ignored: readonly string[];
  #byName: Map<string, StreamType>;
  constructor(
    release: string, product: string, schemaVersion: number, retry: Map<string, RetryTable>,
    certs: Map<string, Cert>, stores: Map<string, TrustStore>, streams: Map<string, StreamType>, ignored: string[],
  ) {
    this.release = release;
    this.product = product;
    this.schemaVersion = schemaVersion;
    this.retry = Object.freeze(Array.from(retry.values()));
    this.certs = Object.freeze(Array.from(certs.values()));
    this.trustStores = Object.freeze(Array.from(stores.values()));
    this.streams = Object.freeze(Array.from(streams.values()));
    this.ignored = Object.freeze(ignored);
    this.#byName = streams;
    Object.freeze(this);
  }
  lookup(streamType: string): StreamType | undefined {
    return this.#byName.get(streamType);
  }
}

function limitsOf(given: Partial<Limits> | undefined): Limits {
  const limits: Limits = { ...DEFAULT_LIMITS };
  if (given) {
    for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof Limits>) {
      const v = given[key];
      if (v === undefined) continue;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new RangeError(`limits.${key} must be an integer >= 1`);
      limits[key] = v;
    }
  }
  return limits;
}

/**
 * Read an lws JSON policy. Returns a frozen Policy, or throws a PolicyError (`s[x].port: must be 1-65535`) and
 * keeps nothing. The fields it ignores are logged, one line each, once the whole policy has loaded.
 */
export function parsePolicy(source: string, options: PolicyOptions = {}): Policy {
  const limits = limitsOf(options.limits);
  if (typeof source !== "string") fail("policy", "must be a string of JSON");
  if (source.length > limits.maxLength) fail("policy", `longer than ${limits.maxLength} characters`);
  if (nestingPast(source, limits.maxDepth)) fail("policy", `nested deeper than ${limits.maxDepth} levels`);
  let parsed: Json;
  try {
    parsed = JSON.parse(source) as Json;
  } catch {
    fail("policy", "not valid JSON");
  }
  if (!isObject(parsed)) fail("policy", "must be a JSON object");
  const root: JsonObject = parsed;
  checkSize(root, limits);

  const notes = new Notes();
  for (const key of Object.keys(root)) {
    switch (key) {
      case "release": case "product": case "schema-version": case "retry": case "certs": case "trust_stores": case "s":
        break;
      default:
        notes.ignore(key, IGNORED_TOP_FIELDS.has(key));
    }
  }
  const has = (key: string) => Object.hasOwn(root, key);
  const release = has("release") ? text(root.release, "release", MAX_NAME) : "";
  const product = has("product") ? text(root.product, "product", MAX_NAME) : "";
  const schemaVersion = has("schema-version") ? integer(root["schema-version"], "schema-version", 0, 65535) : 0;
  const retry = has("retry") ? readRetry(root.retry, limits, notes) : new Map<string, RetryTable>();
  const certs = has("certs") ? readCerts(root.certs, limits) : new Map<string, Cert>();
  const stores = has("trust_stores")
    ? readTrustStores(root.trust_stores, certs, limits, notes) : new Map<string, TrustStore>();
  if (!has("s")) fail("s", "missing");
  const streams = new Map<string, StreamType>();
  const entries = namedEntries(root.s, "s", "stream type", limits.maxStreams,
    `more than ${limits.maxStreams} stream types`);
  for (const [name, value, path] of entries) {
    streams.set(name, readStream(name, value, path, retry, stores, limits, notes));
  }

  const policy = new LoadedPolicy(release, product, schemaVersion, retry, certs, stores, streams, notes.paths);
  const log = options.log ?? ((line: string) => trace(`${line}\n`));
  for (const line of notes.lines) log(line);
  return policy;
}

// ---- Retries -----------------------------------------------------------------------------------------------------

export interface RetryStep {
  /** Wait this long before the next attempt. */
  readonly delayMs: number;
  /** The failure count to keep for the next call. */
  readonly tries: number;
  /** true: retry quietly; false: give up, the stream goes to LWSSSCS_ALL_RETRIES_FAILED. */
  readonly conceal: boolean;
}

/**
 * The next retry after a failure, as lws_retry_get_delay_ms() (lib/core-net/network.c) decides it for
 * lws_ss_backoff(): the table's delay for this try (its last entry once past the end, 3000 ms with no table or an
 * empty one), plus up to jitterpc percent (30 when 0) scaled by `random16` (0-65535); the try count goes up by one,
 * and the retry stays concealed while that count is within the table's `conceal`. With no table it never is.
 */
export function retryDelay(table: RetryTable | null, tries: number, random16?: number): RetryStep {
  if (!Number.isInteger(tries) || tries < 0 || tries > 0xffff) throw new RangeError("tries must be 0-65535");
  const r = random16 === undefined ? Math.floor(Math.random() * 65536) : random16;
  if (!Number.isInteger(r) || r < 0 || r > 0xffff) throw new RangeError("random16 must be 0-65535");
  let ms = 3000, pc = 30;
  if (table !== null) {
    const steps = table.backoff.length;
    if (steps > 0) ms = table.backoff[tries < steps ? tries : steps - 1]!;
    if (table.jitterpc !== 0) pc = table.jitterpc;
  }
  ms += Math.floor(Math.floor((ms * pc * r) / 65536) / 100);
  const next = tries < 0xffff ? tries + 1 : tries;
  return Object.freeze({ delayMs: ms, tries: next, conceal: table !== null && next <= table.conceal });
}
