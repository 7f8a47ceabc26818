// tipi-client: the host side of the TIPI TLS extension (raw extension 0x24) over a link to a device running
// modules/tipi: a TCP connection ("host:port", the simulator's link) or a serial device path (a UART adapter, or a
// pty). Wire format: modules/tipi/protocol.ts draws the frames; the numbers come from the device's own
// modules/tipi/wire.ts (client/wire.js loads it), so both ends share one definition.
//
//   const tipi = await TipiClient.connect("127.0.0.1:9924");
//   await tipi.open(0, "example.com:443");        // true: connected ([255]); false: failed ([0])
//   await tipi.write(0, Buffer.from("GET / ...")); // true once every byte was taken
//   const bytes = await tipi.read(0, 4096);        // 0..4096 bytes (empty: nothing buffered yet)
//   await tipi.close(0);
//
// Requests may be issued without awaiting the previous one: they go out at once and their replies are matched
// in order. Every request has a timeout, counted from the moment every earlier reply has arrived (the device
// works on one request at a time, so that is when it starts on this one). A request that timed out keeps its
// place: its reply, if it ever comes, is consumed and discarded, so later replies stay matched.

import net from "node:net";
import {
  EXTENSION_TLS, OPEN, CLOSE, WRITE, READ, GOOD, BAD, FRAME_HEADER, FRAME_LENGTH_MAX, REQUEST_HEADER,
  DEFAULTS as DEVICE_DEFAULTS,
} from "./wire.js";
import { openSerialPort } from "../sim/serial-port.js";

export { EXTENSION_TLS, OPEN, CLOSE, WRITE, READ, GOOD, BAD, FRAME_HEADER, FRAME_LENGTH_MAX, DEVICE_DEFAULTS };

/** The host's defaults, from the device's (modules/tipi/wire.ts): each wait outlasts the device's own limit. */
export const DEFAULTS = Object.freeze({
  maxFrame: DEVICE_DEFAULTS.maxFrame,
  /** open waits for the device's whole connect (its connectTimeout) */
  openTimeout: DEVICE_DEFAULTS.connectTimeout + 5000,
  /** a write may wait for tx room on the device (its writeTimeout) */
  writeTimeout: DEVICE_DEFAULTS.writeTimeout + 5000,
  timeout: 5000,
  /** a TCP link that is refused is asked again until this passes (a device that is still starting) */
  connectTimeout: 5000,
});

export class TipiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Frame a message: [len msb][len lsb][message]. */
export function frame(message) {
  const body = Buffer.from(message);
  if (body.length > FRAME_LENGTH_MAX) throw new TipiError("TIPI_BAD_ARGUMENT", `message of ${body.length} bytes cannot be framed`);
  const out = Buffer.allocUnsafe(FRAME_HEADER + body.length);
  out.writeUInt16BE(body.length, 0);
  body.copy(out, FRAME_HEADER);
  return out;
}

export const encode = {
  open: (handle, target) => Buffer.concat([Buffer.from([EXTENSION_TLS, handle, OPEN]), Buffer.from(target, "latin1")]),
  close: (handle) => Buffer.from([EXTENSION_TLS, handle, CLOSE]),
  write: (handle, data) => Buffer.concat([Buffer.from([EXTENSION_TLS, handle, WRITE]), Buffer.from(data)]),
  read: (handle, size) => Buffer.from([EXTENSION_TLS, handle, READ, (size >>> 8) & 0xff, size & 0xff]),
};

/**
 * Reassembles frames from a byte stream. push(chunk) returns the whole messages it completed; a partial frame
 * waits for more bytes ("need more" is simply no message yet).
 */
export class FrameDecoder {
  #buffer = Buffer.alloc(0);
  push(chunk) {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    const messages = [];
    let at = 0;
    while (this.#buffer.length - at >= FRAME_HEADER) {
      const length = this.#buffer.readUInt16BE(at);
      if (this.#buffer.length - at < FRAME_HEADER + length) break;
      messages.push(this.#buffer.subarray(at + FRAME_HEADER, at + FRAME_HEADER + length));
      at += FRAME_HEADER + length;
    }
    this.#buffer = at === this.#buffer.length ? Buffer.alloc(0) : this.#buffer.subarray(at);
    return messages;
  }
  get pending() { return this.#buffer.length; }
}

function checkHandle(handle) {
  if (!Number.isInteger(handle) || handle < 0 || handle > 255) {
    throw new TipiError("TIPI_BAD_ARGUMENT", `handle must be 0-255, not ${handle}`);
  }
}

const TCP_LINK = /^(\[[0-9a-fA-F:.]+\]|[^/\\:]+):(\d{1,5})$/;
const RETRY_MS = 100;

/**
 * Opens a link: "host:port" -> TCP (a refused connection is tried again every 100 ms until connectTimeout: a
 * device that is still starting); anything else is a device path (serial port, pty: sim/serial-port.js).
 * Resolves { onData(fn), onEnd(fn), write(bytes), close(), describe }.
 */
export function openLink(link, { connectTimeout = DEFAULTS.connectTimeout } = {}) {
  const tcp = TCP_LINK.exec(link);
  if (!tcp) {
    try {
      return Promise.resolve(asLink(openSerialPort(link, { allowFile: true })));
    } catch (error) {
      return Promise.reject(new TipiError("TIPI_LINK", error.message));
    }
  }
  const host = tcp[1].replace(/^\[|\]$/g, "");
  const port = Number(tcp[2]);
  const deadline = Date.now() + connectTimeout;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TipiError("TIPI_LINK", `no connection to ${link} within ${connectTimeout} ms`));
      }, Math.max(1, deadline - Date.now()));
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        socket.describe = `tcp ${host}:${port}`;
        resolve(asLink(socket));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        if (error.code === "ECONNREFUSED" && Date.now() + RETRY_MS < deadline) {
          setTimeout(attempt, RETRY_MS);
          return;
        }
        const hint = error.code === "ECONNREFUSED" ? ` for ${connectTimeout} ms (nothing listens there: is \`tipi serve\` running?)` : "";
        reject(new TipiError("TIPI_LINK", `cannot connect to ${link}: ${error.code ?? error.message}${hint}`));
      });
    };
    attempt();
  });
}

/** A socket-like stream (net.Socket, or a serial port from sim/serial-port.js) as a client link. */
function asLink(stream) {
  return {
    onData: (fn) => stream.on("data", fn),
    onEnd: (fn) => { stream.on("end", () => fn()); stream.on("close", () => fn()); stream.on("error", (e) => fn(e)); },
    write: (bytes) => stream.write(bytes),
    close: () => stream.destroy(),
    describe: stream.describe,
  };
}

export class TipiClient {
  #link;
  #decoder = new FrameDecoder();
  /** Resolves when the multi-request writes issued so far are done: later requests are sent after it. */
  #gate = Promise.resolve();
  #queue = [];
  #ended = null;
  maxFrame;
  timeouts;
  /** Replies that arrived with no request waiting (a device out of step): should stay 0. */
  unexpected = 0;

  /** Connect to a device over `link` ("host:port" or a device path). */
  static async connect(link, options = {}) {
    const opened = await openLink(link, options);
    return new TipiClient(opened, options);
  }

  /** `link`: { onData(fn), onEnd(fn), write(bytes), close() } (see openLink). */
  constructor(link, { maxFrame = DEFAULTS.maxFrame, openTimeout = DEFAULTS.openTimeout,
    writeTimeout = DEFAULTS.writeTimeout, timeout = DEFAULTS.timeout } = {}) {
    this.#link = link;
    this.maxFrame = maxFrame;
    this.timeouts = { open: openTimeout, write: writeTimeout, other: timeout };
    link.onData((chunk) => {
      for (const message of this.#decoder.push(chunk)) this.#deliver(message);
    });
    link.onEnd((error) => this.#end(new TipiError("TIPI_LINK", `link closed${error ? `: ${error.message}` : ""}`)));
  }

  /** The largest write payload one request carries. */
  get maxWrite() { return this.maxFrame - REQUEST_HEADER; }

  /** Requests sent whose replies have not arrived. */
  get outstanding() { return this.#queue.length; }

  /**
   * Send raw bytes (already framed or not: nothing is added) and wait for `replies` reply messages. For tests and
   * debugging: malformed requests. Resolves with the list of reply messages.
   */
  raw(bytes, replies = 1, { timeout = this.timeouts.other } = {}) {
    const data = Buffer.from(bytes);
    return this.#gate.then(() => {
      if (this.#ended) throw this.#ended;
      const waits = [];
      for (let i = 0; i < replies; i++) waits.push(this.#expect(`raw ${i + 1}/${replies}`, timeout));
      this.#send(data);
      return Promise.all(waits);
    });
  }

  /** Send one request message (framed here) and resolve with its reply message. */
  request(message, options = {}) {
    const framed = frame(message);
    return this.#gate.then(() => this.#requestNow(framed, options));
  }

  #requestNow(framed, { timeout = this.timeouts.other, what = "request" } = {}) {
    if (this.#ended) return Promise.reject(this.#ended);
    const wait = this.#expect(what, timeout);
    this.#send(framed);
    return wait;
  }

  /** open: true when the device connected ([255]), false when it failed ([0]). */
  async open(handle, target, { timeout = this.timeouts.open } = {}) {
    checkHandle(handle);
    if (typeof target !== "string" || !target.length) throw new TipiError("TIPI_BAD_ARGUMENT", "target must be \"hostname:port\"");
    const reply = await this.request(encode.open(handle, target), { timeout, what: `open ${handle} ${target}` });
    return status(reply, "open");
  }

  /** close: the device answers [255] whether or not the handle was open. */
  async close(handle, { timeout = this.timeouts.other } = {}) {
    checkHandle(handle);
    return status(await this.request(encode.close(handle), { timeout, what: `close ${handle}` }), "close");
  }

  /**
   * write: true once every byte was taken by the device. Data longer than one frame goes in several requests,
   * each sent after the previous one answered [255] (so a failure never leaves a hole in the stream), and
   * requests issued after this write wait until it is done (so a close behind it cannot cut it); false at the
   * first [0] (bytes of earlier requests were taken). An empty write asks whether the connection is open.
   */
  async write(handle, data, { timeout = this.timeouts.write } = {}) {
    checkHandle(handle);
    const bytes = Buffer.from(data ?? []);
    const what = `write ${handle}`;
    if (bytes.length <= this.maxWrite) return status(await this.request(encode.write(handle, bytes), { timeout, what }), "write");
    const before = this.#gate;
    let done;
    this.#gate = new Promise((resolve) => { done = resolve; });
    try {
      await before;
      for (let at = 0; at < bytes.length; at += this.maxWrite) {
        const chunk = bytes.subarray(at, Math.min(bytes.length, at + this.maxWrite));
        if (!status(await this.#requestNow(frame(encode.write(handle, chunk)), { timeout, what }), "write")) return false;
      }
      return true;
    } finally {
      done();
    }
  }

  /** read: up to `max` (1-65535) bytes; empty when nothing is buffered or the handle is not open. */
  async read(handle, max = this.maxFrame, { timeout = this.timeouts.other } = {}) {
    checkHandle(handle);
    if (!Number.isInteger(max) || max < 0 || max > 0xffff) throw new TipiError("TIPI_BAD_ARGUMENT", `max must be 0-65535, not ${max}`);
    const reply = await this.request(encode.read(handle, max), { timeout, what: `read ${handle}` });
    if (reply.length > max) throw new TipiError("TIPI_PROTOCOL", `read ${handle}: ${reply.length} bytes back for ${max} asked`);
    return reply;
  }

  /**
   * Read until the peer has closed (or reset: the device cannot tell which) and every byte that reached the device
   * was delivered: empty reads are followed by an empty write (the device's liveness probe); once it answers [0],
   * reads continue until one returns nothing. Bytes a reset lost on the way never reached the device: only the
   * application protocol can tell (fetch checks Content-Length).
   * `onData(chunk)` gets each chunk; resolves with the total count. `idleMs` bounds how long nothing may arrive.
   */
  async readToEnd(handle, { onData = () => {}, max = this.maxFrame, idleMs = 15000, pollMs = 5 } = {}) {
    let total = 0;
    let peerClosed = false;
    let quietSince = Date.now();
    let delay = 0;
    for (;;) {
      const chunk = await this.read(handle, max);
      if (chunk.length) {
        total += chunk.length;
        onData(chunk);
        quietSince = Date.now();
        delay = 0;
        continue;
      }
      if (peerClosed) return total;
      if (!(await this.write(handle, Buffer.alloc(0)))) {
        peerClosed = true;
        continue;
      }
      if (Date.now() - quietSince > idleMs) throw new TipiError("TIPI_TIMEOUT", `read ${handle}: nothing for ${idleMs} ms`);
      delay = Math.min(pollMs + delay * 2, 100);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /**
   * A GET over a handle: open host:port (443 by default), send the request, read the whole response (the server
   * closes: Connection: close), close the handle. Resolves { status, headers, body, raw, complete }: complete is
   * false when the body is shorter than its Content-Length or a chunked body has no last chunk (the peer closed or
   * reset early), true when it is whole, undefined when the response does not say how long it is.
   */
  async fetch(url, { handle = 0, headers = {}, onData } = {}) {
    const u = new URL(url);
    if (u.protocol !== "https:") throw new TipiError("TIPI_BAD_ARGUMENT", "fetch wants an https:// URL");
    const port = u.port ? Number(u.port) : 443;
    const hostname = u.hostname.replace(/^\[|\]$/g, "");
    if (!(await this.open(handle, `${hostname}:${port}`))) {
      throw new TipiError("TIPI_OPEN_FAILED", `the device could not open ${hostname}:${port} (its log says why)`);
    }
    try {
      const lines = [`GET ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`, "Connection: close", "User-Agent: tipi-client"];
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
      if (!(await this.write(handle, Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1")))) {
        throw new TipiError("TIPI_WRITE_FAILED", "the device could not send the request");
      }
      const chunks = [];
      await this.readToEnd(handle, { onData: (chunk) => { chunks.push(chunk); onData?.(chunk); } });
      const raw = Buffer.concat(chunks);
      return { ...parseResponse(raw), raw };
    } finally {
      await this.close(handle).catch(() => {});
    }
  }

  /** Close the link (handles on the device stay open: close them first if that matters). */
  end() {
    this.#link.close();
    this.#end(new TipiError("TIPI_LINK", "link closed by the client"));
  }

  #send(bytes) {
    this.#link.write(bytes);
  }

  #expect(what, timeout) {
    return new Promise((resolve, reject) => {
      const entry = { what, timeout, resolve, reject, timer: null, dead: false };
      this.#queue.push(entry);
      if (this.#queue.length === 1) this.#arm(entry);
    });
  }

  #arm(entry) {
    if (entry.dead || entry.timer) return;
    entry.timer = setTimeout(() => {
      entry.dead = true;
      entry.reject(new TipiError("TIPI_TIMEOUT", `${entry.what}: no reply within ${entry.timeout} ms`));
      // it keeps its place: its late reply must not be taken for the next request's
    }, entry.timeout);
  }

  #deliver(message) {
    const entry = this.#queue.shift();
    if (!entry) {
      this.unexpected++;
      return;
    }
    clearTimeout(entry.timer);
    if (!entry.dead) entry.resolve(message);
    if (this.#queue.length) this.#arm(this.#queue[0]);
  }

  #end(error) {
    if (this.#ended) return;
    this.#ended = error;
    const queue = this.#queue;
    this.#queue = [];
    for (const entry of queue) {
      clearTimeout(entry.timer);
      if (!entry.dead) entry.reject(error);
    }
  }
}

function status(reply, what) {
  if (reply.length !== 1 || (reply[0] !== GOOD && reply[0] !== BAD)) {
    throw new TipiError("TIPI_PROTOCOL", `${what}: expected [255] or [0], got ${reply.length} bytes ${reply.subarray(0, 8).toString("hex")}`);
  }
  return reply[0] === GOOD;
}

/**
 * Split an HTTP/1.1 response into status, headers and body (chunked bodies are decoded). `complete`: whether the
 * body is as long as the response says (Content-Length, or a chunked body's last chunk); undefined when it does
 * not say (the body then ends where the connection did).
 */
export function parseResponse(raw) {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return { status: 0, headers: {}, body: raw, complete: false };
  const [statusLine, ...lines] = raw.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  let complete;
  if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
    const parts = [];
    let at = 0;
    complete = false;
    for (;;) {
      const eol = body.indexOf("\r\n", at);
      if (eol < 0) break;
      const size = parseInt(body.subarray(at, eol).toString("latin1"), 16);
      if (size === 0) complete = true;
      if (!(size > 0)) break;
      if (eol + 2 + size > body.length) {
        parts.push(body.subarray(eol + 2));
        break;
      }
      parts.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers["content-length"] !== undefined) {
    const length = Number(headers["content-length"]);
    complete = body.length >= length;
    if (body.length > length) body = body.subarray(0, length);
  }
  return { status, headers, body, complete };
}
