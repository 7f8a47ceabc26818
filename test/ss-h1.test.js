// h1 Secure Streams (modules/ss, ss/h1, ss/http) in XS over tls/client against a real Node HTTPS server on
// 127.0.0.1: GET with Content-Length and chunked bodies, HEAD, 204, a URL endpoint, GET again after a tx, POST
// bodies the server checks by SHA-256 (Content-Length and chunked), NACK statuses, a 503 retried, and malformed
// responses failing cleanly with a logged reason.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { sha256, pattern } from "./support/servers.js";
import { testPolicy, runSS, closedPort, httpsServer, badServer, BODY, POST_SIZE } from "./device/ss/servers.js";

const CASES = [
  "h1-get-content-length",
  "h1-get-chunked",
  "h1-get-then-request-tx-gets-again",
  "h1-head-has-no-body",
  "h1-204-no-content",
  "h1-url-endpoint-overrides-port-and-path",
  "h1-404-is-nack-remote",
  "h1-post-content-length-body-checked-by-hash",
  "h1-post-chunked-body-checked-by-hash",
  "h1-post-500-is-nack-remote",
  "h1-post-tx-past-content-length-fails-cleanly",
  "h1-503-retried-after-backoff-then-ok",
  "h1-metadata-substitution-and-headers-reach-the-server",
  "h1-malformed-status-line-fails-cleanly",
  "h1-malformed-chunk-size-fails-cleanly",
  "h1-truncated-body-fails-cleanly",
  "h1-header-line-too-long-fails-cleanly",
];

const https = await httpsServer();
const bad = await badServer();
const closed = await closedPort();
let report;
try {
  report = await runSS("h1", testPolicy({ echo: closed, reply: closed, https: https.port, refused: closed, rogue: closed,
    silent: closed, bad: bad.port, tcp: closed }), { body: BODY, postSize: POST_SIZE });
} finally {
  await https.close();
  await bad.close();
}

test("ss-h1: the device suite ran to the end in XS without an abort, reporting every case once, in order", () => {
  assert.is(report.aborted, null);
  assert.ok(report.done, `no done line:\n${report.traces.join("\n")}`);
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`ss-h1: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
}

test("ss-h1: the server saw the GET with the substituted URL, the metadata header and no Host from metadata", () => {
  const get = https.requests.find((r) => r.method === "GET" && r.url === "/status/7" && r.headers["x-unit"] === "seven");
  assert.ok(get, "no GET /status/7 with X-Unit");
  assert.is(get.headers.host, `localhost:${https.port}`);
  assert.is(get.headers.connection, "close");
});

test("ss-h1: the POST bodies arrived byte-exact, one with Content-Length, one chunked", () => {
  const posts = https.requests.filter((r) => r.method === "POST" && r.url === "/upload/ok");
  assert.is(posts.length, 2);
  const want = sha256(pattern(POST_SIZE));
  assert.equal(posts.map((p) => [p.bytes, p.sha256]), [[POST_SIZE, want], [POST_SIZE, want]]);
  assert.is(posts[0].headers["content-length"], String(POST_SIZE));
  assert.is(posts[0].headers["transfer-encoding"], undefined);
  assert.is(posts[1].headers["transfer-encoding"], "chunked");
  assert.is(posts[0].headers["content-type"], "application/octet-stream", "the Content-Type metadata header");
});

test("ss-h1: the 503 was asked twice (the retry), the second answered", () => {
  assert.is(https.requests.filter((r) => r.url === "/status/busy").length, 2);
});

test("ss-h1: every stream was destroyed", () => {
  assert.ok(report.traces.includes("streams left 0"), "streams left");
});

test.run();
