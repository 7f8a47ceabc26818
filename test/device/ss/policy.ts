// Device-side tests for ss/policy, inside XS, on the policies in test/fixtures/policies (resources of
// test/device/ss/manifest.json). They are our own policies in lws' layout, exercising the fields lws' example
// policies use (hello_world-policy, http-post, minimal-secure-streams{,-mqtt,-metadata,-sigv4}), not copies:
//   field-device.policy   raw, h1 GET with metadata, h1 POST, mqtt with subscribe and will, two retry tables,
//                         a trust store holding test/fixtures/certs/ca.der as base64 (make-certs.sh makes a new
//                         CA each run: paste `base64 -w0 test/fixtures/certs/ca.der` into field_root again;
//                         case trust-store-holds-ca-der fails until then)
//   minimal.json          one raw stream and nothing else
//   ignored-fields.json   lws fields this device reads past (client_cert, use_auth, perf, auth, via-socks5, ...)
//   bad-*.json            one refusal each; the exact message is in BAD below
// Reports "ok <name>" / "not ok <name> <why>" per case, then "done".
import Resource from "Resource";
import { parsePolicy, retryDelay, PolicyError, Policy, StreamType } from "ss/policy";

class Fail extends Error {}

function equal(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Fail(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

function check(cond: boolean, why: string): void {
  if (!cond) throw new Fail(why);
}

function run(name: string, body: () => void): void {
  try {
    body();
    trace(`ok ${name}\n`);
  } catch (e) {
    const why = e instanceof Fail ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    trace(`not ok ${name} ${why.replace(/\n/g, " ")}\n`);
  }
}

function fixture(name: string): string {
  return String.fromArrayBuffer(new Resource(name).slice(0));
}

const quiet = (_line: string): void => {};

function load(name: string, log: (line: string) => void = quiet): Policy {
  return parsePolicy(fixture(name), { log });
}

function stream(policy: Policy, name: string): StreamType {
  const s = policy.lookup(name);
  if (!s) throw new Fail(`no stream type ${name}`);
  return s;
}

function refuses(source: string, message: string, options: Parameters<typeof parsePolicy>[1] = {}): void {
  let logged = 0;
  try {
    parsePolicy(source, { log: () => { logged++; }, ...options });
  } catch (e) {
    if (!(e instanceof PolicyError)) throw new Fail(`threw ${String(e)} instead of a PolicyError`);
    equal(e.message, message, "message");
    equal(e.name, "PolicyError", "name");
    equal(`${e.path}: ${e.reason}`, message, "path and reason");
    equal(logged, 0, "notes logged for a refused policy");
    return;
  }
  throw new Fail(`accepted; wanted "${message}"`);
}

// field-device.json, loaded once; a failure to load is reported by every case that needs it (not a VM abort).
let loaded: Policy | undefined, loadError = "";
try {
  loaded = load("field-device.policy");
} catch (e) {
  loadError = String(e);
}
function fieldDevice(): Policy {
  if (!loaded) throw new Fail(`field-device.json did not load: ${loadError}`);
  return loaded;
}

run("field-device-loads", () => {
  const device = fieldDevice();
  equal(device.release, "2026.03-field", "release");
  equal(device.product, "field-tls-firmware", "product");
  equal(device.schemaVersion, 1, "schema-version");
  equal(device.streams.map((s) => s.name).join(","), "echo_raw,status,upload,telemetry", "stream types in order");
  equal(device.ignored.length, 0, "ignored fields");
});

run("raw-stream", () => {
  const device = fieldDevice();
  const s = stream(device, "echo_raw");
  equal(s.protocol, "raw", "protocol");
  equal(s.endpoint, "127.0.0.1", "endpoint");
  equal(s.port, 7007, "port");
  equal(s.tls, false, "tls");
  equal(s.trustStore, null, "trust store");
  equal(s.retry, device.retry[1], "retry table");
  equal(s.timeoutMs, 0, "timeout_ms");
  equal(s.http, null, "http");
  equal(s.mqtt, null, "mqtt");
  equal(s.metadata.length, 0, "metadata");
});

run("h1-get-stream", () => {
  const device = fieldDevice();
  const s = stream(device, "status");
  equal(s.protocol, "h1", "protocol");
  equal(s.endpoint, "localhost", "endpoint");
  equal(s.port, 8443, "port");
  equal(s.tls, true, "tls");
  equal(s.trustStore?.name, "field_ca", "trust store");
  equal(s.retry?.name, "patient", "retry");
  equal(s.timeoutMs, 5000, "timeout_ms");
  equal(s.opportunistic, true, "opportunistic");
  equal(s.http?.method, "GET", "method");
  equal(s.http?.url, "status/${unit}", "url");
  equal(s.http?.expect, 200, "http_expect");
  equal(s.http?.failRedirect, true, "http_fail_redirect");
  equal(s.http?.allowRedirects, false, "allow_redirects");
  equal(s.metadata.map((m) => `${m.name}=${m.value}`).join(","), "unit=,ctype=content-type:", "metadata");
  equal(s.mqtt, null, "mqtt");
});

run("h1-post-stream", () => {
  const device = fieldDevice();
  const s = stream(device, "upload");
  equal(s.http?.method, "POST", "method");
  equal(s.http?.url, "readings", "url");
  equal(s.http?.expect, 0, "http_expect (any 2xx)");
  equal(s.http?.allowRedirects, true, "allow_redirects");
  equal(s.http?.noContentLength, false, "http_no_content_length");
  equal(s.metadata.map((m) => `${m.name}=${m.value}`).join(","), "ctype=Content-Type:,batch=X-Batch:", "metadata");
  equal(s.trustStore, stream(device, "status").trustStore, "the same trust store object");
});

run("mqtt-stream-with-subscribe-and-will", () => {
  const device = fieldDevice();
  const s = stream(device, "telemetry");
  equal(s.protocol, "mqtt", "protocol");
  equal(s.port, 8883, "port");
  equal(s.nailedUp, true, "nailed_up");
  const m = s.mqtt;
  if (!m) throw new Fail("no mqtt policy");
  equal(m.topic, "field/${unit}/readings", "mqtt_topic");
  equal(m.subscribe, "field/${unit}/commands", "mqtt_subscribe");
  equal(m.qos, 1, "mqtt_qos");
  equal(m.retain, false, "mqtt_retain");
  equal(m.keepAlive, 60, "mqtt_keep_alive");
  equal(m.cleanStart, true, "mqtt_clean_start");
  equal(m.will?.topic, "field/${unit}/status", "will topic");
  equal(m.will?.message, "offline", "will message");
  equal(m.will?.qos, 1, "will qos");
  equal(m.will?.retain, true, "will retain");
  equal(m.birth, null, "birth");
  equal(s.http, null, "http");
});

run("two-retry-tables", () => {
  const device = fieldDevice();
  equal(device.retry.length, 2, "tables");
  const [patient, once] = device.retry;
  equal(patient?.name, "patient", "first");
  equal(patient?.backoff.join(","), "500,1000,2000,4000,8000,16000", "patient backoff");
  equal(patient?.conceal, 10, "patient conceal");
  equal(patient?.jitterpc, 25, "patient jitterpc");
  equal(patient?.svalidping, 60, "svalidping");
  equal(patient?.svalidhup, 75, "svalidhup");
  equal(once?.name, "once", "second");
  equal(once?.backoff.join(","), "250", "once backoff");
  equal(once?.conceal, 1, "once conceal");
  equal(once?.jitterpc, 0, "once jitterpc");
});

run("trust-store-holds-ca-der", () => {
  const device = fieldDevice();
  const store = device.trustStores[0];
  equal(store?.name, "field_ca", "store");
  equal(store?.certs.length, 1, "certs in the store");
  const cert = store!.certs[0]!;
  equal(cert.name, "field_root", "cert name");
  equal(cert, device.certs[0], "the store holds the policy's cert");
  const want = new Uint8Array(new Resource("ca.der").slice(0));
  const got = new Uint8Array(cert.der());
  equal(cert.byteLength, want.byteLength, "length (test/fixtures/certs/ca.der remade? paste its base64 again)");
  for (let i = 0; i < want.byteLength; i++) {
    if (got[i] !== want[i]) throw new Fail(`byte ${i} differs from ca.der (remade? paste its base64 again)`);
  }
  got[0] = 0;
  equal(new Uint8Array(cert.der())[0], 0x30, "der() hands out a copy");
});

run("policy-is-frozen", () => {
  const device = fieldDevice();
  const s = stream(device, "telemetry"), h = stream(device, "status");
  const things: Array<[string, unknown]> = [
    ["policy", device], ["streams", device.streams], ["retry list", device.retry], ["certs", device.certs],
    ["trust stores", device.trustStores], ["stream", s], ["mqtt", s.mqtt], ["will", s.mqtt?.will], ["http", h.http],
    ["metadata", h.metadata], ["metadata item", h.metadata[0]], ["retry table", h.retry],
    ["backoff", h.retry?.backoff], ["trust store", h.trustStore], ["store certs", h.trustStore?.certs],
    ["cert", device.certs[0]], ["ignored", device.ignored],
  ];
  for (const [what, thing] of things) check(Object.isFrozen(thing), `${what} is not frozen`);
});

run("lookup-by-stream-type", () => {
  const device = fieldDevice();
  equal(device.lookup("status"), device.streams[1], "status");
  equal(device.lookup("telemetry"), device.streams[3], "telemetry");
  equal(device.lookup("nope"), undefined, "unknown");
  equal(device.lookup("__proto__"), undefined, "__proto__");
  equal(device.lookup("constructor"), undefined, "constructor");
  equal(device.lookup(""), undefined, "empty");
});

run("retry-delay-follows-lws", () => {
  const device = fieldDevice();
  const patient = device.retry[0]!, once = device.retry[1]!;
  let step = retryDelay(patient, 0, 0);
  equal(step.delayMs, 500, "first delay, no jitter");
  equal(step.tries, 1, "tries");
  equal(step.conceal, true, "concealed");
  // ms + ((ms * pc * random) >> 16) / 100: 500 + (500 * 25 * 65535 >> 16) / 100 = 500 + 124
  equal(retryDelay(patient, 0, 65535).delayMs, 624, "first delay, most jitter");
  equal(retryDelay(patient, 5, 0).delayMs, 16000, "last step");
  equal(retryDelay(patient, 9, 0).delayMs, 16000, "past the table: the last step again");
  equal(retryDelay(patient, 9, 0).conceal, true, "10th failure still concealed (conceal 10)");
  equal(retryDelay(patient, 10, 0).conceal, false, "11th failure gives up");
  // jitterpc 0 is lws' default 30%: 250 + (250 * 30 * 65535 >> 16) / 100 = 250 + 74
  equal(retryDelay(once, 0, 65535).delayMs, 324, "default jitter");
  equal(retryDelay(once, 0, 0).conceal, true, "once: first failure concealed");
  equal(retryDelay(once, 1, 0).conceal, false, "once: second gives up");
  // no table: 3000 ms and 30%, and never concealed (lws_ss_backoff then reports ALL_RETRIES_FAILED)
  step = retryDelay(null, 0, 65535);
  equal(step.delayMs, 3899, "no table");
  equal(step.conceal, false, "no table: not concealed");
  equal(retryDelay(patient, 65535, 0).tries, 65535, "tries stop at 65535");
  const random = retryDelay(patient, 0).delayMs;
  check(random >= 500 && random <= 624, `random jitter out of range: ${random}`);
  let threw = false;
  try { retryDelay(patient, -1, 0); } catch (e) { threw = e instanceof RangeError; }
  check(threw, "tries -1 not refused");
});

run("minimal-policy-loads", () => {
  const p = load("minimal.policy");
  equal(p.streams.length, 1, "streams");
  const s = stream(p, "probe");
  equal(s.protocol, "raw", "protocol");
  equal(s.retry, null, "no retry table");
  equal(p.release, "", "release");
  equal(p.retry.length + p.certs.length + p.trustStores.length, 0, "no tables, certs or stores");
});

run("ignored-fields-noted-and-logged", () => {
  const lines: string[] = [];
  const p = load("ignored-fields.policy", (line) => lines.push(line));
  const want = [
    "via-socks5", "auth", "colour", "retry[default].spare", "s[mutual].client_cert", "s[mutual].aws_iot",
    "s[mutual].flavour", "s[signed].use_auth", "s[signed].perf",
  ];
  equal(p.ignored.join(" "), want.join(" "), "ignored paths");
  equal(lines.length, want.length, "lines logged");
  equal(lines[0], "ss/policy: via-socks5 ignored (an lws field this device does not use)", "known lws field");
  equal(lines[2], "ss/policy: colour ignored (not an lws policy field)", "unknown field");
  const mutual = stream(p, "mutual");
  equal(mutual.mqtt?.will?.retain, false, "mqtt_will_retain 0 read as false, as lws does");
  equal(mutual.retry?.jitterpc, 0, "jitterpc 0");
  const signed = stream(p, "signed");
  equal(signed.endpoint, "https://localhost:8443/put", "URL endpoint");
  equal(signed.port, 0, "port from the URL");
  equal(signed.http?.method, "PUT", "method");
});

// One malformed policy per case, with the exact refusal.
const BAD: Array<[string, string]> = [
  ["bad-json", "policy: not valid JSON"],
  ["bad-not-object", "policy: must be a JSON object"],
  ["bad-unknown-protocol", 's[gopher_feed].protocol: unknown protocol "gopher"'],
  ["bad-unsupported-protocol", 's[ws_feed].protocol: "ws" is not supported here (raw, h1, mqtt)'],
  ["bad-port", "s[mqtt_test].port: must be 1-65535"],
  ["bad-unknown-trust-store", 's[telemetry].tls_trust_store: unknown trust store "corporate_ca"'],
  ["bad-unknown-retry", 's[telemetry].retry: unknown retry table "patient"'],
  ["bad-too-deep", "policy: nested deeper than 8 levels"],
  ["bad-too-many-streams", "s: more than 16 stream types"],
  ["bad-unknown-cert", 'trust_stores[field_ca].stack: unknown cert "missing_root"'],
  ["bad-cert-base64", "certs[field_root]: is not base64"],
  ["bad-backoff-steps", "retry[eager].backoff: more than 8 steps"],
  ["bad-undeclared-metadata", "s[upload].http_url: ${device} is not in this stream type's metadata"],
  ["bad-wrong-protocol-field", "s[status].mqtt_topic: is an mqtt field, this stream type is h1"],
  ["bad-duplicate-stream", "s[telemetry]: defined twice"],
  ["bad-mqtt-qos", "s[sensor].mqtt_qos: must be 0-2"],
  ["bad-h1-no-method", "s[status].http_method: missing (h1 needs a method)"],
];
for (const [name, message] of BAD) run(`refuses-${name}`, () => refuses(fixture(`${name}.policy`), message));

run("refuses-text-over-the-length-cap", () => {
  refuses(" ".repeat(32769), "policy: longer than 32768 characters");
  refuses(fixture("field-device.policy"), "policy: longer than 1000 characters", { limits: { maxLength: 1000 } });
});

run("refuses-deep-nesting-before-json-parse", () => {
  // 16000 levels: XS's JSON.parse would exhaust the native stack on this (a reboot on a board); the scan stops it.
  refuses("[".repeat(16000) + "]".repeat(16000), "policy: nested deeper than 8 levels");
  // brackets inside strings are not nesting
  const p = parsePolicy('{"release": "[[[[[[[[[[{{{{{{{{{{", "s": [{"p": {"endpoint": "a", "port": 1, "protocol": "raw"}}]}', { log: quiet });
  equal(p.release, "[[[[[[[[[[{{{{{{{{{{", "release");
});

run("refuses-too-many-values", () => {
  const many = `{"s": [{"p": {"endpoint": "a", "port": 1, "protocol": "raw", "options": [${"0,".repeat(5000)}0]}}]}`;
  refuses(many, "policy: more than 4096 values");
});

run("limits-are-configurable", () => {
  refuses(fixture("field-device.policy"), "s: more than 2 stream types", { limits: { maxStreams: 2 } });
  refuses(fixture("field-device.policy"), "retry: more than 1 retry tables", { limits: { maxRetryTables: 1 } });
  let threw = false;
  try { parsePolicy("{}", { limits: { maxDepth: 0 } }); } catch (e) { threw = e instanceof RangeError; }
  check(threw, "maxDepth 0 not refused");
});

run("refusals-name-the-field", () => {
  const base = (field: string) =>
    `{"s": [{"x": {"endpoint": "localhost", "port": 1883, "protocol": "mqtt", ${field}}}]}`;
  refuses(base('"mqtt_will_message": "bye"'), "s[x].mqtt_will_message: needs mqtt_will_topic");
  refuses(base('"mqtt_keep_alive": 70000'), "s[x].mqtt_keep_alive: must be 0-65535");
  refuses(base('"tls": 1'), "s[x].tls: must be true or false");
  refuses(base('"server": true'), "s[x].server: server stream types are not supported here");
  refuses(base('"timeout_ms": "5000"'), "s[x].timeout_ms: must be 0-86400000");
  refuses(base('"metadata": [{"a": ""}, {"a": "x"}]'), "s[x].metadata[a]: defined twice");
  refuses(base('"mqtt_topic": "t/${a"'), "s[x].mqtt_topic: has an unterminated ${");
  refuses('{"s": [{"x": {"endpoint": "+@proxy.ss.lws", "port": 1, "protocol": "raw"}}]}',
    "s[x].endpoint: unix domain sockets (+) are not supported here");
  refuses('{"s": [{"x": {"endpoint": "localhost", "protocol": "raw"}}]}', "s[x].port: missing");
  refuses('{"s": [{"x": {"port": 1, "protocol": "raw"}}]}', "s[x].endpoint: missing");
  refuses('{"s": {}}', "s: must be a list");
  refuses('{"release": "1"}', "s: missing");
  refuses('{"trust_stores": [{"stack": []}], "s": []}', "trust_stores[0].name: missing");
  refuses('{"certs": [{"c": "MAMCAQA="}], "trust_stores": [{"name": "t", "stack": []}], "s": []}',
    "trust_stores[t].stack: at least one cert required");
  refuses('{"certs": [{"c": "AAAA"}], "s": []}', "certs[c]: is not a DER certificate");
  refuses('{"retry": [{"r": {"jitterpc": 101}}], "s": []}', "retry[r].jitterpc: must be 0-100");
  refuses(`{"certs": [{"big": "${"A".repeat(4100)}"}], "s": []}`, "certs[big]: is larger than 3072 bytes");
});

run("a-refused-policy-leaves-the-loaded-one-alone", () => {
  const device = fieldDevice();
  const before = device.lookup("status");
  refuses(fixture("bad-port.policy"), "s[mqtt_test].port: must be 1-65535");
  equal(device.lookup("status"), before, "loaded policy unchanged");
  equal(device.lookup("mqtt_test"), undefined, "nothing of the refused policy");
});

trace("done\n");
