// Node side of `embedded:io/socket/tcp/tls`: the TLS record layer of a simulated TLSSocket, run by Node `tls` over
// an in-memory stream whose ciphertext the device carries on its own TCP (hosts/sim/tls.js).
// Node is held to the board's limits (../shared/moddable-platform.md): TLS 1.2 only, the board's cipher suites,
// P-256 only, verification on unless the device turned it off, no CA given -> refused, and a server certificate
// chain of two or more certificates (the board's verifier refuses a leaf sent alone). Failures carry the board's
// messages: "TLS: certificate: auth err" for anything about the certificate, "TLS: alert: <level>, <description>"
// for an alert the server sent.
//
// The server's handshake is read as it passes (TLS 1.2 sends it in the clear until ChangeCipherSpec):
//   record     [type: 1][version: 2][length: 2][fragment]      type 20 change_cipher_spec, 21 alert, 22 handshake
//   handshake  [msg_type: 1][length: 3][body]                  msg_type 11 certificate
//   certificate body  [certificate_list length: 3]([cert length: 3][DER])*

import tls from "node:tls";
import net from "node:net";
import { Duplex } from "node:stream";

export const BOARD_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA256",
  "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES128-SHA256", "DHE-RSA-AES256-SHA256",
  "AES128-SHA", "AES256-SHA", "AES128-SHA256", "AES256-SHA256",
].join(":");

const AUTH_ERR = "TLS: certificate: auth err";
const RECORD_CHANGE_CIPHER_SPEC = 20;
const RECORD_ALERT = 21;
const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CERTIFICATE = 11;

function derToPem(der) {
  const b64 = Buffer.from(der).toString("base64").match(/.{1,64}/g).join("\n");
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** Watches the server's side of a TLS 1.2 handshake: alerts and the number of certificates it sent. */
class HandshakeWatcher {
  #records = Buffer.alloc(0);
  #messages = Buffer.alloc(0);
  encrypted = false;
  alert = null; // [level, description]
  certificates = -1;

  inspect(bytes) {
    if (this.encrypted) return;
    this.#records = Buffer.concat([this.#records, bytes]);
    while (this.#records.length >= 5 && !this.encrypted) {
      const type = this.#records[0];
      const length = this.#records.readUInt16BE(3);
      if (this.#records.length < 5 + length) return;
      const fragment = this.#records.subarray(5, 5 + length);
      this.#records = this.#records.subarray(5 + length);
      if (type === RECORD_CHANGE_CIPHER_SPEC) this.encrypted = true;
      else if (type === RECORD_ALERT && fragment.length >= 2) this.alert = [fragment[0], fragment[1]];
      else if (type === RECORD_HANDSHAKE) this.#handshake(fragment);
    }
  }

  #handshake(fragment) {
    this.#messages = Buffer.concat([this.#messages, fragment]);
    while (this.#messages.length >= 4) {
      const type = this.#messages[0];
      const length = this.#messages.readUIntBE(1, 3);
      if (this.#messages.length < 4 + length) return;
      const body = this.#messages.subarray(4, 4 + length);
      this.#messages = this.#messages.subarray(4 + length);
      if (type === HANDSHAKE_CERTIFICATE && body.length >= 3) {
        let at = 3;
        let count = 0;
        while (at + 3 <= body.length) {
          at += 3 + body.readUIntBE(at, 3);
          count++;
        }
        this.certificates = count;
      }
    }
  }
}

class Session {
  out = [];
  outBytes = 0;
  plain = [];
  plainBytes = 0;
  handshaken = false;
  error = null;
  inCall = false;
  socket = null;
  watcher = new HandshakeWatcher();

  constructor(sim, id, { serverName, address, verify, ca }) {
    this.sim = sim;
    this.id = id;
    this.name = serverName ?? address;
    this.verify = verify;
    this.ca = ca;
    this.stream = new Duplex({
      read() {},
      write: (chunk, _encoding, callback) => {
        this.out.push(chunk);
        this.outBytes += chunk.length;
        this.changed();
        callback();
      },
    });
  }

  start() {
    const options = {
      socket: this.stream,
      host: this.name,
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.2",
      ciphers: BOARD_CIPHERS,
      ecdhCurve: "P-256",
      rejectUnauthorized: this.verify,
      ca: this.ca ? [derToPem(this.ca)] : [],
    };
    if (this.name && !net.isIP(this.name)) options.servername = this.name;
    const socket = tls.connect(options);
    this.socket = socket;
    socket.on("secureConnect", () => {
      this.handshaken = true;
      this.changed();
    });
    socket.on("data", (chunk) => {
      this.plain.push(chunk);
      this.plainBytes += chunk.length;
      this.changed();
    });
    socket.on("error", (error) => this.fail(error));
    socket.on("end", () => {});
  }

  fail(error) {
    if (this.error) return;
    if (this.watcher.alert) this.error = `TLS: alert: ${this.watcher.alert[0]}, ${this.watcher.alert[1]}`;
    else if (error?.code?.startsWith?.("ERR_SSL") || error?.code === "ECONNRESET") this.error = `TLS: ${error.code}`;
    else this.error = AUTH_ERR;
    this.changed();
  }

  feed(bytes) {
    const watcher = this.watcher;
    watcher.inspect(bytes);
    if (this.verify && watcher.certificates >= 0 && !this.handshaken) {
      if (!this.ca) this.error ??= AUTH_ERR; // the board verifies against the CAs it was given, only
      else if (watcher.certificates < 2 && this.sim.rules.tlsChainOfTwo) this.error ??= AUTH_ERR;
    }
    if (this.error) return;
    this.stream.push(bytes);
  }

  /** Pending state changes outside a device call reach the device as a `tls` event. */
  changed() {
    if (this.inCall) return;
    this.sim.post(`tls:${this.id}`, () => (this.closed ? null : { k: "tls", id: this.id, ...this.state(), error: this.error ?? undefined }));
  }

  state() {
    return { out: this.outBytes, plain: this.plainBytes, handshaken: this.handshaken, error: this.error ?? undefined };
  }

  take(list, counter, max) {
    if (this[counter] === 0 || max <= 0) return undefined;
    const chunks = [];
    let n = 0;
    while (list.length && n < max) {
      const head = list[0];
      const take = Math.min(head.length, max - n);
      chunks.push(head.subarray(0, take));
      if (take === head.length) list.shift();
      else list[0] = head.subarray(take);
      n += take;
    }
    this[counter] -= n;
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  }

  dispose() {
    this.closed = true;
    this.socket?.destroy();
  }
}

/** Let Node's TLS machinery run until this session's state stops changing (a few event-loop turns). */
async function settle(session) {
  let last = "";
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    const now = `${session.outBytes}/${session.plainBytes}/${session.handshaken}/${session.error}`;
    if (now === last) return;
    last = now;
  }
}

export function installTls(sim) {
  let nextId = 1;
  const sessions = new Map();
  const session = (id) => {
    const s = sessions.get(id);
    if (!s) throw new Error("invalid");
    return s;
  };
  async function during(s, work) {
    s.inCall = true;
    try {
      work();
      await settle(s);
    } finally {
      s.inCall = false;
    }
    if (s.error && !sim.rules.tlsAbort) {
      // Rule off: a lenient TLS that reports handshake failures through onError instead of throwing them.
      s.changed();
      return [{ ...s.state(), error: undefined }];
    }
    return [s.state()];
  }

  sim.op("tls.create", ({ serverName, address, verify }, ca) => {
    const id = nextId++;
    sessions.set(id, new Session(sim, id, { serverName, address, verify, ca: ca ? Buffer.from(ca) : undefined }));
    return [{ id }];
  });
  sim.op("tls.start", ({ id }) => { const s = session(id); return during(s, () => s.start()); });
  sim.op("tls.feed", ({ id }, payload) => { const s = session(id); return during(s, () => s.feed(payload ?? Buffer.alloc(0))); });
  sim.op("tls.write", ({ id }, payload) => { const s = session(id); return during(s, () => s.socket.write(Buffer.from(payload ?? []))); });
  sim.op("tls.take", ({ id, max }) => {
    const s = session(id);
    const bytes = s.take(s.out, "outBytes", max);
    return [{ out: s.outBytes }, bytes];
  });
  sim.op("tls.read", ({ id, count }) => {
    const s = session(id);
    return [{}, s.take(s.plain, "plainBytes", count)];
  });
  sim.op("tls.poke", ({ id }) => {
    const s = session(id);
    s.inCall = false;
    s.changed();
  });
  sim.op("tls.close", ({ id }) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    s.dispose();
  });
}
