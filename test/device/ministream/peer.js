// Node side of the ministream tests (not device code): an independent reading of the wire format (each message
// behind a 2-byte big-endian LENGTH, then the seed's `type, 3-byte id, payload`), a scripted peer on the device's
// link (the device dials it), the services a server tunnel connects to (Node TCP/TLS servers on 127.0.0.1 that
// record a SHA-256 of what each connection received), a pipe that joins two device links, and the device runner.
import net from "node:net";
import tls from "node:tls";
import crypto from "node:crypto";
import { Simulator } from "../../../sim/simulator.js";
import { CA, parseReport } from "../../support/device.js";
import { certs } from "../../support/servers.js";

export const MANIFEST = "test/device/ministream/manifest.json";

/** Bytes from hex ("a1 12 34 56"). */
export const hex = (text) => Buffer.from(text.replace(/\s+/g, ""), "hex");
export const toHex = (bytes) => Buffer.from(bytes).toString("hex").replace(/(..)(?!$)/g, "$1 ");

/** One framed message: LENGTH + the message bytes (a Buffer or hex). */
export function frame(message) {
  const m = typeof message === "string" ? hex(message) : Buffer.from(message);
  const out = Buffer.alloc(2 + m.length);
  out.writeUInt16BE(m.length, 0);
  m.copy(out, 2);
  return out;
}

/** A message's parts (the frame without its LENGTH). */
export function parse(f) {
  return { type: f[2], id: f.readUIntBE(3, 3), payload: f.subarray(6), hex: toHex(f.subarray(2)) };
}

/** A 3-byte id as hex ("12 34 56"). */
export const idHex = (id) => toHex(Buffer.from([id >> 16, (id >> 8) & 0xff, id & 0xff]));

/** The peer's end of one device link: frames in, frames out, with timeouts. */
export class Peer {
  #socket;
  #buffer = Buffer.alloc(0);
  #wakers = [];
  ended = false;
  /** Every frame the device sent, in order (message hex, without LENGTH). */
  received = [];

  constructor(socket) {
    this.#socket = socket;
    socket.on("data", (chunk) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    socket.on("end", () => { this.ended = true; this.#wake(); });
    socket.on("close", () => { this.ended = true; this.#wake(); });
    socket.on("error", () => {});
  }

  #wake() {
    const w = this.#wakers;
    this.#wakers = [];
    for (const f of w) f();
  }

  #changed(ms) {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#wakers.push(() => { clearTimeout(t); resolve(); });
    });
  }

  /** Sends raw bytes (frames already framed, or deliberately bad bytes). */
  send(...parts) {
    for (const p of parts) this.#socket.write(typeof p === "string" ? hex(p) : p);
  }

  /** Sends the messages, each framed. */
  sendMessages(...messages) {
    this.send(...messages.map(frame));
  }

  /** The next whole frame from the device (a Buffer with its LENGTH), or null at timeout / end. */
  async next(ms = 5000) {
    const end = Date.now() + ms;
    for (;;) {
      const b = this.#buffer;
      if (b.length >= 2 && b.length >= 2 + b.readUInt16BE(0)) {
        const size = 2 + b.readUInt16BE(0);
        const f = b.subarray(0, size);
        this.#buffer = b.subarray(size);
        this.received.push(toHex(f.subarray(2)));
        return f;
      }
      const left = end - Date.now();
      if (left <= 0 || this.ended) return null;
      await this.#changed(left);
    }
  }

  /** The next frame's message hex ("51 23 45 67 98 76 54"), or null. */
  async nextHex(ms) {
    const f = await this.next(ms);
    return f && toHex(f.subarray(2));
  }

  /** Frames until the device ends the link (or ms pass): their message hex. */
  async rest(ms = 5000) {
    const out = [];
    for (;;) {
      const f = await this.nextHex(ms);
      if (f === null) return out;
      out.push(f);
    }
  }

  /** No frame for `ms`: resolves true when none came. */
  async quiet(ms = 300) {
    const f = await this.next(ms);
    return f === null;
  }

  /** Bytes that are not a whole frame yet. */
  get leftover() { return this.#buffer.length; }

  end() { this.#socket.end(); }
  destroy() { this.#socket.destroy(); }
}

function listen(server) {
  const sockets = new Set();
  server.on("connection", (s) => { sockets.add(s); s.on("error", () => {}); s.on("close", () => sockets.delete(s)); });
  server.on("tlsClientError", () => {});
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({
    port: server.address().port,
    close: () => new Promise((done) => { for (const s of sockets) s.destroy(); server.close(() => done()); }),
  })));
}

/** A listener for device links: resolves { port, accept(): Promise<Peer>, close() }. */
export async function linkServer() {
  const waiting = [];
  const queue = [];
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const peer = new Peer(socket);
    const w = waiting.shift();
    if (w) w(peer);
    else queue.push(peer);
  });
  const handle = await listen(server);
  return {
    ...handle,
    accept(ms = 10000) {
      if (queue.length) return Promise.resolve(queue.shift());
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("the device did not connect its link")), ms);
        waiting.push((p) => { clearTimeout(t); resolve(p); });
      });
    },
  };
}

/** Joins connections in pairs (1st with 2nd, 3rd with 4th...): two device tunnels talk through it over real TCP. */
export async function pipeServer() {
  let first;
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    if (!first) { first = socket; return; }
    const a = first;
    first = undefined;
    a.pipe(socket);
    socket.pipe(a);
    a.on("close", () => socket.destroy());
    socket.on("close", () => a.destroy());
  });
  return listen(server);
}

/** A free port with nothing listening on it (a service that is not there). */
export { closedPort } from "../../support/ports.js";

const TLS = () => ({ cert: Buffer.concat([certs.serverPem, Buffer.from("\n"), certs.caPem]), key: certs.serverKey, minVersion: "TLSv1.2" });

/**
 * A service: `handler(socket, record)` per connection, over TCP or TLS. Each connection's received bytes are
 * hashed; `received` gets { bytes, sha256 } when it ends. Resolves { port, received, connections, close() }.
 */
export async function service({ secure = false } = {}, handler) {
  const received = [];
  let connections = 0;
  const onConnection = (socket) => {
    connections++;
    const hash = crypto.createHash("sha256");
    let bytes = 0;
    let done = false;
    const record = () => {
      if (done) return;
      done = true;
      received.push({ bytes, sha256: hash.digest("hex") });
    };
    socket.on("data", (d) => { bytes += d.length; hash.update(d); });
    socket.on("end", record);
    socket.on("close", record);
    socket.on("error", () => {});
    handler(socket);
  };
  const server = secure ? tls.createServer(TLS(), onConnection) : net.createServer(onConnection);
  const handle = await listen(server);
  return { ...handle, received, get connections() { return connections; } };
}

/** Echoes every byte back, and ends when the client ends. */
export const echo = (socket) => {
  socket.pipe(socket);
};

/**
 * Starts the simulator on the ministream test manifest with `config`, launches `module` (it runs until idle), and
 * returns { sim, finished: Promise<{ cases, done, aborted, timedOut, traces }> }.
 */
export async function startDevice(module, config, { timeout = 60000 } = {}) {
  const sim = await Simulator.start({ manifest: MANIFEST, resources: CA, config });
  const finished = sim.run(module, { timeout }).then(async ({ aborted, timedOut, traces }) => {
    await sim.close();
    return { ...parseReport(traces), aborted, timedOut, traces };
  });
  return { sim, finished };
}

/** The device's log lines so far that contain `words`. */
export const logged = (sim, words) => sim.traces.filter((line) => line.includes(words));
