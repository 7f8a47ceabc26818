// Node side of `embedded:io/socket/tcp/tls`: the TLS record layer of a simulated TLSSocket. The device side
// (hosts/sim/tls.js) reads whole TLS records off its own TCP and hands them over one at a time, as the board's TLS
// does; here Node `tls`, over an in-memory stream, turns each record into what the board's TLS would make of it:
// plaintext, the end of the handshake, a close_notify, the bytes to send next, or the board's failure.
//
// The board's limits and verifier are applied here (README, "What the simulator reproduces"): TLS 1.2 only, the
// board's cipher suites, P-256 only; the server's Certificate message, read as it passes (TLS 1.2 sends it in the
// clear), is judged by sim/board-verifier.js before Node sees it, so a refusal happens on the same record as on a
// board, with the board's error class and message and its log lines. Node's own verification is off.
//
//   record     [type: 1][version: 2][length: 2][fragment]   type 20 change_cipher_spec, 21 alert, 22 handshake
//   handshake  [msg_type: 1][length: 3][body]               msg_type 11 certificate, 14 server_hello_done
//   certificate body  [certificate_list length: 3]([cert length: 3][DER])*
//   alert      [level: 1][description: 1]                   level 2 fatal; description 0 close_notify

import tls from "node:tls";
import net from "node:net";
import { Duplex } from "node:stream";
import { verifyChain, registerLeaf, registerTrusted } from "./board-verifier.js";

export const BOARD_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA256",
  "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES128-SHA256", "DHE-RSA-AES256-SHA256",
  "AES128-SHA", "AES256-SHA", "AES128-SHA256", "AES256-SHA256",
].join(":");

const RECORD_CHANGE_CIPHER_SPEC = 20;
const RECORD_ALERT = 21;
const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CERTIFICATE = 11;
const ALERT_CLOSE_NOTIFY = 0;

/** A failure as the board throws it: the class's name and the message. */
const fail = (name, message) => ({ name, message });

class Session {
  out = [];
  plain = [];
  handshaken = false;
  closeNotify = false;
  failure = null;
  encrypted = false; // the server's ChangeCipherSpec has passed: its records are opaque from here on
  messages = Buffer.alloc(0);
  socket = null;

  constructor(sim, { serverName, verify, ca }) {
    this.sim = sim;
    this.rules = sim.rules;
    this.serverName = serverName;
    this.verify = verify;
    this.ca = ca;
    this.stream = new Duplex({
      read() {},
      write: (chunk, _encoding, callback) => {
        this.out.push(chunk);
        callback();
      },
    });
  }

  start() {
    const boardLimits = this.rules.tlsBoardLimits
      ? { minVersion: "TLSv1.2", maxVersion: "TLSv1.2", ciphers: BOARD_CIPHERS, ecdhCurve: "P-256" }
      : {};
    const options = {
      socket: this.stream,
      rejectUnauthorized: false, // the board's verifier (sim/board-verifier.js) decides
      checkServerIdentity: () => undefined,
      ...boardLimits,
    };
    if (this.serverName && !net.isIP(this.serverName)) options.servername = this.serverName;
    const socket = tls.connect(options);
    this.socket = socket;
    socket.on("secureConnect", () => { this.handshaken = true; });
    socket.on("data", (chunk) => this.plain.push(chunk));
    socket.on("end", () => { this.closeNotify = true; });
    socket.on("error", (error) => {
      if (this.failure) return;
      const alert = /alert number (\d+)/.exec(String(error?.message));
      this.failure = alert
        ? fail("TLS", `alert: 2, ${alert[1]}`)
        : fail("TLS", `handshake: ${error?.code ?? error?.message}`);
      this.sim.log(`simulator: Node's TLS failed (${error?.code ?? error?.message}); the board may word it differently`);
    });
  }

  /** Look at a record before Node does: clear-text alerts, and the server's certificates, judged as the board does. */
  inspect(record) {
    if (this.encrypted) return;
    const type = record[0];
    const fragment = record.subarray(5);
    if (type === RECORD_CHANGE_CIPHER_SPEC) this.encrypted = true;
    else if (type === RECORD_ALERT && fragment.length >= 2) {
      if (fragment[1] === ALERT_CLOSE_NOTIFY) this.closeNotify = true;
      else this.failure ??= fail("TLS", `alert: ${fragment[0]}, ${fragment[1]}`);
    } else if (type === RECORD_HANDSHAKE) {
      this.messages = Buffer.concat([this.messages, fragment]);
      while (this.messages.length >= 4 && !this.failure) {
        const length = this.messages.readUIntBE(1, 3);
        if (this.messages.length < 4 + length) break;
        const kind = this.messages[0];
        const body = this.messages.subarray(4, 4 + length);
        this.messages = this.messages.subarray(4 + length);
        if (kind === HANDSHAKE_CERTIFICATE) this.judge(body);
      }
    }
  }

  judge(body) {
    if (!this.verify) return;
    const certs = [];
    for (let at = 3; at + 3 <= body.length;) {
      const size = body.readUIntBE(at, 3);
      certs.push(body.subarray(at + 3, at + 3 + size));
      at += 3 + size;
    }
    const trusted = this.ca ? [this.ca] : [];
    try {
      const { ok, log } = verifyChain(certs, trusted, this.serverName, this.rules, this.sim.deviceNow());
      for (const line of log) this.sim.log(line);
      if (!ok) this.failure = fail("TLS", "certificate: auth err");
      else registerLeaf(certs[0], this.rules, this.sim.deviceNow());
    } catch (error) {
      this.failure = fail(error.name, error.message);
    }
  }

  /** One whole record from the server: what the board's TLS makes of it. */
  async record(bytes) {
    this.inspect(bytes);
    if (!this.failure && !(this.closeNotify && !this.encrypted)) {
      const had = this.plain.length + this.out.length;
      this.stream.push(bytes);
      // Once the handshake is done Node's TLS decrypts a record as it is pushed: its plaintext is here now. Anything
      // else (a close_notify, a record that yields nothing yet) is waited for.
      if (!this.handshaken || this.plain.length + this.out.length === had) await settle(this);
    }
    if (this.closeNotify) this.sim.log("SSL: close notify");
    return this.result();
  }

  async write(bytes) {
    const had = this.out.length;
    this.socket.write(bytes);
    // After the handshake a write is encrypted as it is made; its record is here now.
    if (!this.handshaken || this.out.length === had) await settle(this);
    return this.take(this.out);
  }

  result() {
    const plain = this.take(this.plain);
    const out = this.take(this.out);
    const header = {
      handshaken: this.handshaken,
      closeNotify: this.closeNotify,
      plain: plain?.length ?? 0,
      out: out?.length ?? 0,
    };
    if (this.failure) header.failure = this.failure;
    return [header, plain || out ? Buffer.concat([plain ?? Buffer.alloc(0), out ?? Buffer.alloc(0)]) : undefined];
  }

  take(list) {
    if (!list.length) return undefined;
    const bytes = list.length === 1 ? list[0] : Buffer.concat(list);
    list.length = 0;
    return bytes;
  }

  dispose() {
    this.socket?.destroy();
  }
}

/**
 * Let Node's TLS run until this session stops changing: Node works through a record over a few event-loop turns.
 * Only collects results; every refusal the board makes is decided synchronously in inspect().
 */
async function settle(session) {
  let last = "";
  let still = 0;
  for (let i = 0; i < 200 && still < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    const now = `${session.out.length}/${session.plain.length}/${session.handshaken}/${session.failure}/${session.closeNotify}`;
    still = now === last ? still + 1 : 0;
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
  // The memory budget (sim/memory.js) charges each session from tls.create to tls.close, as the SDK's TLS session
  // lives from the socket's constructor to its close(), and more while its handshake runs.
  sim.tlsSessions = () => {
    let handshaking = 0;
    for (const s of sessions.values()) if (!s.handshaken && !s.failure) handshaking++;
    return { open: sessions.size, handshaking };
  };

  sim.op("tls.create", ({ serverName, verify }, ca) => {
    const caBytes = ca ? Buffer.from(ca) : undefined;
    if (caBytes && verify) {
      try {
        registerTrusted(caBytes, sim.rules, sim.deviceNow());
      } catch (error) {
        return [{ failure: fail(error.name, error.message) }];
      }
    }
    const id = nextId++;
    sessions.set(id, new Session(sim, { serverName, verify, ca: caBytes }));
    return [{ id }];
  });
  sim.op("tls.hello", async ({ id }) => {
    const s = session(id);
    s.start();
    await settle(s);
    return s.result();
  });
  sim.op("tls.record", ({ id }, payload) => session(id).record(payload ?? Buffer.alloc(0)));
  sim.op("tls.write", async ({ id }, payload) => [{}, await session(id).write(Buffer.from(payload ?? []))]);
  sim.op("tls.close", ({ id }) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    s.dispose();
  });
}
