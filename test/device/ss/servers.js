// Node side of the Secure Streams tests: the policy the device loads (our own, in lws' layout, with the ports of
// the servers this run started), an HTTPS server for the h1 cases, and a TLS server that answers malformed HTTP.
// Every server listens on 127.0.0.1 with the fixture certificates (test/fixtures/certs: leaf + CA, P-256).
import https from "node:https";
import tls from "node:tls";
import crypto from "node:crypto";
import { certs, pattern, sha256 } from "../../support/servers.js";
import { runDevice } from "../../support/device.js";

export const MANIFEST = "test/device/ss/manifest.json";

/** A port nothing listens on (bound, then closed). */
export { closedPort } from "../../support/ports.js";

/**
 * The test policy: one stream type per situation, all on 127.0.0.1 / localhost. `ports` holds the servers' ports
 * (echo, reply, https, refused, rogue, silent, bad, tcp); a missing one becomes a closed port given by the caller.
 */
export function testPolicy(ports) {
  const trust = { tls: true, tls_trust_store: "fixture" };
  return JSON.stringify({
    release: "ss-test",
    product: "field-tls-firmware",
    "schema-version": 1,
    retry: [
      { quick: { backoff: [50], conceal: 2, jitterpc: 1 } },
      { three: { backoff: [100, 200, 400], conceal: 3, jitterpc: 1 } },
      { once: { backoff: [50], conceal: 1, jitterpc: 1 } },
    ],
    certs: [{ fixture_ca: certs.caDer.toString("base64") }],
    trust_stores: [{ name: "fixture", stack: ["fixture_ca"] }],
    s: [
      { echo: { endpoint: "localhost", port: ports.echo, protocol: "raw", retry: "quick", ...trust } },
      { reply: { endpoint: "localhost", port: ports.reply, protocol: "raw", retry: "quick", ...trust } },
      { echo_ip: { endpoint: "127.0.0.1", port: ports.echo, protocol: "raw", opportunistic: true, ...trust } },
      { nailed: { endpoint: "localhost", port: ports.echo, protocol: "raw", nailed_up: true, ...trust } },
      {
        get: {
          endpoint: "localhost", port: ports.https, protocol: "h1", http_method: "GET", http_url: "status/${unit}",
          metadata: [{ unit: "" }, { xunit: "X-Unit:" }, { ctype: "content-type:" }, { host: "Host:" }],
          retry: "quick", timeout_ms: 2000, ...trust,
        },
      },
      {
        head: { endpoint: "localhost", port: ports.https, protocol: "h1", http_method: "HEAD", http_url: "status/7",
          metadata: [{ xunit: "X-Unit:" }], ...trust },
      },
      {
        post: {
          endpoint: "localhost", port: ports.https, protocol: "h1", http_method: "POST", http_url: "/upload/${mode}",
          metadata: [{ mode: "" }, { ctype: "Content-Type:" }], retry: "quick", ...trust,
        },
      },
      {
        url: { endpoint: `https://localhost:${ports.https}/status/url`, protocol: "h1", http_method: "GET",
          http_url: "ignored", tls_trust_store: "fixture" },
      },
      { refused: { endpoint: "127.0.0.1", port: ports.refused, protocol: "raw", ...trust } },
      { retries: { endpoint: "127.0.0.1", port: ports.refused, protocol: "raw", retry: "three", ...trust } },
      { untrusted: { endpoint: "localhost", port: ports.rogue, protocol: "raw", ...trust } },
      { untrusted_retry: { endpoint: "localhost", port: ports.rogue, protocol: "raw", retry: "once", ...trust } },
      {
        slow: { endpoint: "localhost", port: ports.silent, protocol: "h1", http_method: "GET", http_url: "slow",
          timeout_ms: 300, ...trust },
      },
      {
        bad: { endpoint: "localhost", port: ports.bad, protocol: "h1", http_method: "GET", http_url: "${mode}",
          metadata: [{ mode: "" }], ...trust },
      },
      { plain: { endpoint: "localhost", port: ports.tcp, protocol: "raw" } },
      { plain_refused: { endpoint: "127.0.0.1", port: ports.refused, protocol: "raw" } },
      {
        telemetry: { endpoint: "localhost", port: 8883, protocol: "mqtt", mqtt_topic: "field/readings", mqtt_qos: 1,
          ...trust },
      },
    ],
  });
}

/** Bodies the HTTPS server sends, by path. */
export const BODY = { status: 5000, chunked: 9001, url: 321 };
/** The POST body the device sends (pattern seed 1) and the server checks by hash. */
export const POST_SIZE = 20000;

/**
 * The h1 server. Routes:
 *   GET  /status/7        200, Content-Length, pattern(BODY.status); needs X-Unit: seven; Content-Type application/x-field
 *   GET  /status/chunked  200, chunked, pattern(BODY.chunked) in uneven writes
 *   GET  /status/busy     503 the first time, then 200 "ok"
 *   GET  /status/url      200, pattern(BODY.url)
 *   GET  /status/empty    204
 *   HEAD /status/7        200 with Content-Length, no body
 *   POST /upload/ok       200 when the body is pattern(POST_SIZE) by SHA-256, else 400
 *   POST /upload/fail     500
 * Every request is kept in `requests` ({ method, url, headers, bytes, sha256 }).
 */
export function httpsServer() {
  const requests = [];
  let busy = 0;
  const server = https.createServer({
    cert: Buffer.concat([certs.serverPem, Buffer.from("\n"), certs.caPem]),
    key: certs.serverKey,
    minVersion: "TLSv1.2",
  }, (req, res) => {
    const hash = crypto.createHash("sha256");
    let bytes = 0;
    req.on("data", (d) => { bytes += d.length; hash.update(d); });
    req.on("end", () => {
      const record = { method: req.method, url: req.url, headers: req.headers, bytes, sha256: hash.digest("hex") };
      requests.push(record);
      const send = (status, body, headers = {}) => {
        res.writeHead(status, { "Content-Length": body.length, ...headers });
        res.end(body);
      };
      switch (`${req.method} ${req.url}`) {
        case "GET /status/7":
        case "HEAD /status/7":
          if (req.headers["x-unit"] !== "seven") return send(400, Buffer.from("no X-Unit"));
          return send(200, Buffer.from(pattern(BODY.status)), { "Content-Type": "application/x-field" });
        case "GET /status/chunked": {
          const body = pattern(BODY.chunked);
          res.writeHead(200, { "Content-Type": "application/octet-stream" });
          let at = 0, i = 0;
          const sizes = [1, 700, 3000, 17, 1540, 2000];
          const next = () => {
            if (at >= body.length) return res.end();
            const n = Math.min(sizes[i++ % sizes.length], body.length - at);
            res.write(body.subarray(at, at + n));
            at += n;
            setTimeout(next, 2);
          };
          return next();
        }
        case "GET /status/busy":
          if (busy++ === 0) return send(503, Buffer.from("busy"));
          return send(200, Buffer.from("ok"));
        case "GET /status/url":
          return send(200, Buffer.from(pattern(BODY.url)));
        case "GET /status/empty":
          res.writeHead(204);
          return res.end();
        case "POST /upload/ok":
          return record.sha256 === sha256(pattern(POST_SIZE)) && bytes === POST_SIZE
            ? send(200, Buffer.from("ok")) : send(400, Buffer.from(`bad body ${bytes}`));
        case "POST /upload/fail":
          return send(500, Buffer.from("failed"));
        default:
          return send(404, Buffer.from("not found"));
      }
    });
  });
  server.on("tlsClientError", () => {});
  return listen(server, { requests });
}

/**
 * A TLS server that reads the request line and answers malformed HTTP, by path:
 *   /status-line  "HTTX/1.1 200 OK"
 *   /chunk        a chunked body whose second chunk size is "zz"
 *   /truncated    Content-Length: 100 and 5 bytes, then the end
 *   /long-header  a header line of 2000 bytes
 */
export function badServer() {
  const server = tls.createServer({
    cert: Buffer.concat([certs.serverPem, Buffer.from("\n"), certs.caPem]),
    key: certs.serverKey,
    minVersion: "TLSv1.2",
  }, (socket) => {
    socket.on("error", () => {});
    let head = "";
    socket.on("data", (d) => {
      head += d.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      const path = head.split(" ")[1];
      const answers = {
        "/status-line": "HTTX/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        "/chunk": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n",
        "/truncated": "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
        "/long-header": `HTTP/1.1 200 OK\r\nX-Long: ${"x".repeat(2000)}\r\n\r\n`,
      };
      socket.end(answers[path] ?? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    });
  });
  server.on("tlsClientError", () => {});
  return listen(server, {});
}

function listen(server, extra) {
  const sockets = new Set();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({
    ...extra,
    port: server.address().port,
    close: () => new Promise((done) => {
      for (const s of sockets) s.destroy();
      server.close(() => done());
    }),
  })));
}

/** Run a device test app of this folder with the policy in `config.policy`; the report, with the log lines. */
export function runSS(module, policy, config = {}, timeout = 60000) {
  return runDevice(`test/device/ss/${module}`, { manifest: MANIFEST, timeout, config: { policy, ...config } });
}
