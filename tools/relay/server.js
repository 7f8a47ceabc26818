// The Tox TCP relay server (Node), wire-compatible with c-toxcore's TCP server (toxcore/TCP_server.c) as
// tox-bootstrapd 0.2.18 runs it (../shared/peers.md): devices and operators reach each other through it by public
// key. The handshake, the encryption and the packet checks are the device's own code (modules/relay, loaded by
// ./shared.js). One log line per event, through `log`.
//
// The connection table, per confirmed connection (c-toxcore's TCP_Secure_Connection):
//   slots[0..239]  free | { key, status 1 (we asked, the peer has not, or is not here) | 2 (linked), other, otherId }
//   connection id on the wire = slot index + 16 (NUM_RESERVED_PORTS); 0 in a routing response = refused
// - routing request: own key -> 0; a key already in a slot -> that slot's id again, no new notification; else the
//   first free slot (none -> 0), status 1; when the peer is here and has a status-1 slot for us, both go to 2 and
//   both get a connect notification (so a link needs requests from both sides).
// - disconnect [3, id]: frees our slot; a linked peer's slot goes back to 1 and the peer gets [3, its id].
// - data [id][...]: forwarded with the id rewritten to the peer's id for us; on a slot still at 1: ignored; on a
//   free slot: the connection is dropped.
// - a client counts only after its first valid frame (then a second connection with the same key replaces the
//   first); it is pinged every pingInterval from then on, and dropped when the pong is late by pingTimeout.
// - OOB [6][key][1-1024 bytes] -> [7][sender key][data] to that key when it is here (ignored when not).
// - onion: this relay has none. An onion request (8) is read and ignored, as c-toxcore's server built without onion
//   does (no onion response ever comes); a forward request (10) drops the connection, as c-toxcore without
//   forwarding does. tox-bootstrapd serves both: a Tox client that needs onion routing must use another relay.
// What this server adds to c-toxcore's: a handshake (and first frame) must arrive within handshakeTimeout, at most
// maxPending connections wait for theirs (the oldest is dropped, as c-toxcore's 256-entry queue overwrites), and
// memory per connection is bounded: when a connection's send queue passes maxQueue, the connections forwarding to it
// are paused (their sockets stop being read) until it drains, instead of c-toxcore's dropping of data it cannot
// send at once. An abrupt close is noticed at once (tox-bootstrapd notices it only at its next ping).
import net from "node:net";
import { randomFillSync } from "node:crypto";
import { constants as C, crypto, packet as P } from "./shared.js";

const hex8 = (bytes) => crypto.toHex(bytes).slice(0, 16);

export class RelayServer {
  #secretKey;
  #log;
  #random;
  #options;
  #server;
  #counter = 0;
  /** confirmed connections by public key (hex) */
  #accepted = new Map();
  /** every live connection */
  #all = new Set();
  #pending = [];
  /** counts for tests and the benchmark */
  stats = { accepted: 0, dropped: 0, packets: 0, forwardedPackets: 0, forwardedBytes: 0, handshakesRefused: 0, onionIgnored: 0 };

  /**
   * options: secretKey (32 bytes, required), pingInterval (ms, default 30000), pingTimeout (ms, 10000),
   * handshakeTimeout (ms, 10000), maxQueue (bytes queued to one connection before its senders pause, 65536),
   * maxPending (connections before their first frame, 256), log (line => void), random (Uint8Array => void).
   */
  constructor({ secretKey, pingInterval = C.TCP_PING_FREQUENCY * 1000, pingTimeout = C.TCP_PING_TIMEOUT * 1000,
    handshakeTimeout = 10000, maxQueue = 64 * 1024, maxPending = 256, log = (line) => console.log(line),
    random = (into) => randomFillSync(into) } = {}) {
    if (!(secretKey instanceof Uint8Array) || secretKey.byteLength !== 32) throw new TypeError("relay: secretKey must be 32 bytes");
    this.#secretKey = Uint8Array.from(secretKey);
    this.publicKey = crypto.publicKeyOf(this.#secretKey);
    this.#log = log;
    this.#random = random;
    this.#options = { pingInterval, pingTimeout, handshakeTimeout, maxQueue, maxPending };
  }

  /** Confirmed connections. */
  get connections() { return this.#accepted.size; }
  /** Every open socket, confirmed or not. */
  get sockets() { return this.#all.size; }

  /** Bytes queued to the connection with this public key (hex), -1 when it is not connected. */
  queued(keyHex) {
    const conn = this.#accepted.get(keyHex);
    return conn ? conn.socket.writableLength : -1;
  }

  /** Listens on host:port (port 0: any); resolves the port. */
  listen(port = 33445, host = "0.0.0.0") {
    this.#server = net.createServer((socket) => this.#connection(socket));
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, host, () => {
        this.#server.off("error", reject);
        const bound = this.#server.address().port;
        this.#log(`relay: listening on ${host}:${bound}, public key ${crypto.toHex(this.publicKey)}`);
        resolve(bound);
      });
    });
  }

  /** Stops listening and drops every connection. */
  close() {
    for (const conn of [...this.#all]) this.#kill(conn, "server closing");
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  // ---- connections ----

  #connection(socket) {
    socket.setNoDelay(true);
    const conn = {
      n: ++this.#counter, socket, state: "handshake", key: null, keyHex: "", session: null, input: Buffer.alloc(0),
      slots: new Array(C.NUM_CLIENT_CONNECTIONS).fill(null), pingId: null, pingTimer: null, pongTimer: null,
      handshakeTimer: null, pausedOn: new Set(), waiters: new Set(), dead: false,
      name: `#${this.#counter}`,
    };
    this.#all.add(conn);
    this.#pending.push(conn);
    if (this.#pending.length > this.#options.maxPending) this.#kill(this.#pending[0], "too many connections waiting for their handshake");
    this.#log(`relay: ${conn.name} ${socket.remoteAddress}:${socket.remotePort} connected`);
    conn.handshakeTimer = setTimeout(() => this.#kill(conn, `no handshake and first frame within ${this.#options.handshakeTimeout} ms`), this.#options.handshakeTimeout);
    socket.on("data", (chunk) => {
      conn.input = conn.input.length ? Buffer.concat([conn.input, chunk]) : chunk;
      this.#process(conn);
    });
    socket.on("drain", () => this.#drained(conn));
    socket.on("error", () => {});
    socket.on("close", () => this.#kill(conn, "closed by the client"));
  }

  /** Handles what is complete in conn.input, until it is paused or dead. */
  #process(conn) {
    while (!conn.dead && conn.pausedOn.size === 0) {
      const input = conn.input;
      if (conn.state === "handshake") {
        if (input.length < C.TCP_CLIENT_HANDSHAKE_SIZE) return;
        const hello = Uint8Array.prototype.slice.call(input, 0, C.TCP_CLIENT_HANDSHAKE_SIZE);
        conn.input = input.subarray(C.TCP_CLIENT_HANDSHAKE_SIZE);
        const accepted = crypto.acceptHandshake(this.#secretKey, hello, this.#random);
        if (!accepted) {
          this.stats.handshakesRefused++;
          this.#kill(conn, "handshake refused: not made for this relay's key");
          return;
        }
        conn.key = accepted.clientKey;
        conn.keyHex = crypto.toHex(conn.key);
        conn.name = `#${conn.n} ${conn.keyHex.slice(0, 8)}`;
        conn.session = accepted.session;
        conn.state = "unconfirmed";
        conn.socket.write(accepted.reply);
        this.#log(`relay: ${conn.name} handshake ok`);
        continue;
      }
      const length = P.frameLength(input);
      if (length === P.NEED_MORE) return;
      if (length === P.BAD_FRAME) {
        this.#kill(conn, `frame length ${input.readUInt16BE(0)} over ${C.MAX_PACKET_SIZE}`);
        return;
      }
      if (input.length < 2 + length) return;
      conn.input = input.subarray(2 + length);
      if (length === 0) continue; // c-toxcore reads a zero length as no frame
      const plain = conn.session.openFrame(input.subarray(2, 2 + length));
      this.stats.packets++;
      if (!plain) {
        this.#kill(conn, `a frame of ${length} bytes does not authenticate`);
        return;
      }
      if (conn.state === "unconfirmed") this.#confirm(conn);
      const problem = this.#handle(conn, plain);
      if (problem) {
        this.#kill(conn, problem);
        return;
      }
      if (conn.socket.writableLength > this.#options.maxQueue && !conn.dead) {
        // its own replies pile up (it does not read): stop reading it until they drain
        conn.pausedOn.add(conn);
        conn.waiters.add(conn);
        conn.socket.pause();
      }
    }
  }

  #confirm(conn) {
    const old = this.#accepted.get(conn.keyHex);
    if (old) this.#kill(old, `replaced by ${conn.name}, a new connection with the same key`);
    clearTimeout(conn.handshakeTimer);
    conn.handshakeTimer = null;
    const i = this.#pending.indexOf(conn);
    if (i >= 0) this.#pending.splice(i, 1);
    conn.state = "confirmed";
    this.#accepted.set(conn.keyHex, conn);
    this.stats.accepted++;
    this.#log(`relay: ${conn.name} confirmed (${this.#accepted.size} connected)`);
    if (this.#options.pingInterval > 0) conn.pingTimer = setInterval(() => this.#ping(conn), this.#options.pingInterval);
  }

  /** One packet from a confirmed connection: undefined, or why the connection must be dropped. */
  #handle(conn, p) {
    const problem = P.clientPacketProblem(p);
    if (problem) return problem;
    const type = p[0];
    if (type >= C.NUM_RESERVED_PORTS) return this.#forward(conn, p);
    switch (type) {
      case C.TCP_PACKET_ROUTING_REQUEST:
        this.#route(conn, p.slice(1, 33));
        return undefined;
      case C.TCP_PACKET_CONNECTION_NOTIFICATION:
        return undefined;
      case C.TCP_PACKET_DISCONNECT_NOTIFICATION: {
        const id = p[1];
        if (id < C.NUM_RESERVED_PORTS || !conn.slots[id - C.NUM_RESERVED_PORTS]) return `disconnect for unused connection id ${id}`;
        this.#unlink(conn, id - C.NUM_RESERVED_PORTS, "disconnect");
        return undefined;
      }
      case C.TCP_PACKET_PING: {
        const out = new Uint8Array(C.TCP_PING_SIZE);
        this.#send(conn, out.subarray(0, P.pingPacket(out, C.TCP_PACKET_PONG, p.subarray(1))));
        return undefined;
      }
      case C.TCP_PACKET_PONG: {
        if (conn.pingId && Buffer.compare(conn.pingId, p.subarray(1, 9)) === 0) {
          conn.pingId = null;
          clearTimeout(conn.pongTimer);
          conn.pongTimer = null;
        }
        return undefined;
      }
      case C.TCP_PACKET_OOB_SEND: {
        const dest = this.#accepted.get(crypto.toHex(p.subarray(1, 33)));
        const size = p.byteLength - 33;
        if (!dest) {
          this.#log(`relay: ${conn.name} OOB ${size} bytes to ${hex8(p.subarray(1, 33))}: not connected here, ignored`);
          return undefined;
        }
        if (dest.socket.writableLength > this.#options.maxQueue) {
          this.#log(`relay: ${conn.name} OOB ${size} bytes to ${dest.name}: its queue is full, dropped`);
          return undefined;
        }
        const out = new Uint8Array(p.byteLength);
        this.#send(dest, out.subarray(0, P.oobPacket(out, C.TCP_PACKET_OOB_RECV, conn.key, p, 33)));
        this.#log(`relay: ${conn.name} OOB ${size} bytes to ${dest.name}`);
        return undefined;
      }
      case C.TCP_PACKET_ONION_REQUEST:
        this.stats.onionIgnored++;
        this.#log(`relay: ${conn.name} onion request ignored: this relay does not route onion packets`);
        return undefined;
      default:
        return `packet id ${type}`; // clientPacketProblem refuses every other id below 16
    }
  }

  #route(conn, key) {
    const keyHex = crypto.toHex(key);
    const respond = (id, why) => {
      const out = new Uint8Array(34);
      this.#send(conn, out.subarray(0, P.routingResponse(out, id, key)));
      this.#log(`relay: ${conn.name} route to ${keyHex.slice(0, 8)} -> ${why}`);
    };
    if (keyHex === conn.keyHex) return respond(0, "id 0, refused: its own key");
    let free = -1;
    for (let i = 0; i < C.NUM_CLIENT_CONNECTIONS; i++) {
      const slot = conn.slots[i];
      if (slot) {
        if (slot.keyHex === keyHex) return respond(i + C.NUM_RESERVED_PORTS, `id ${i + C.NUM_RESERVED_PORTS} again (${slot.status === 2 ? "linked" : "waiting"})`);
      } else if (free < 0) free = i;
    }
    if (free < 0) return respond(0, `id 0, refused: all ${C.NUM_CLIENT_CONNECTIONS} slots in use`);
    const slot = { key, keyHex, status: 1, other: null, otherId: 0 };
    conn.slots[free] = slot;
    const other = this.#accepted.get(keyHex);
    const otherId = other ? other.slots.findIndex((s) => s && s.status === 1 && s.keyHex === conn.keyHex) : -1;
    respond(free + C.NUM_RESERVED_PORTS, `id ${free + C.NUM_RESERVED_PORTS}${otherId < 0 ? " (waiting for the peer)" : ""}`);
    if (otherId < 0) return;
    const back = other.slots[otherId];
    slot.status = back.status = 2;
    slot.other = other;
    slot.otherId = otherId;
    back.other = conn;
    back.otherId = free;
    const out = new Uint8Array(2);
    this.#send(conn, out.subarray(0, P.connectNotification(out, free + C.NUM_RESERVED_PORTS)));
    this.#send(other, out.subarray(0, P.connectNotification(out, otherId + C.NUM_RESERVED_PORTS)));
    this.#log(`relay: link ${conn.name} id ${free + C.NUM_RESERVED_PORTS} <-> ${other.name} id ${otherId + C.NUM_RESERVED_PORTS} online`);
  }

  /** Frees conn's slot i; a linked peer's slot goes back to waiting and the peer is told. */
  #unlink(conn, i, why) {
    const slot = conn.slots[i];
    if (!slot) return;
    conn.slots[i] = null;
    if (slot.status === 2 && !slot.other.dead) {
      const back = slot.other.slots[slot.otherId];
      back.status = 1;
      back.other = null;
      back.otherId = 0;
      const out = new Uint8Array(2);
      this.#send(slot.other, out.subarray(0, P.disconnectNotification(out, slot.otherId + C.NUM_RESERVED_PORTS)));
      this.#log(`relay: ${conn.name} id ${i + C.NUM_RESERVED_PORTS} ${why}: ${slot.other.name} id ${slot.otherId + C.NUM_RESERVED_PORTS} told`);
    } else if (why === "disconnect") {
      this.#log(`relay: ${conn.name} id ${i + C.NUM_RESERVED_PORTS} disconnect (it was waiting)`);
    }
  }

  #forward(conn, p) {
    const i = p[0] - C.NUM_RESERVED_PORTS;
    const slot = conn.slots[i];
    if (!slot) return `data on unused connection id ${p[0]}`;
    if (slot.status !== 2) return undefined; // the peer has not asked yet: ignored, as c-toxcore does
    const dest = slot.other;
    p[0] = slot.otherId + C.NUM_RESERVED_PORTS; // p is this connection's scratch view: rewritten in place
    this.#send(dest, p);
    this.stats.forwardedPackets++;
    this.stats.forwardedBytes += p.byteLength - 1;
    if (dest.socket.writableLength > this.#options.maxQueue) {
      // bounded memory: stop reading conn until dest drains
      conn.pausedOn.add(dest);
      dest.waiters.add(conn);
      conn.socket.pause();
    }
    return undefined;
  }

  #send(conn, plain) {
    if (conn.dead) return;
    conn.socket.write(Buffer.from(conn.session.sealFrame(plain)));
  }

  #drained(conn) {
    for (const source of conn.waiters) {
      source.pausedOn.delete(conn);
      if (source.pausedOn.size === 0 && !source.dead) {
        source.socket.resume();
        this.#process(source);
      }
    }
    conn.waiters.clear();
  }

  #ping(conn) {
    if (conn.dead || conn.pingId) return;
    const id = new Uint8Array(8);
    do this.#random(id); while (id.every((b) => b === 0));
    conn.pingId = id;
    const out = new Uint8Array(C.TCP_PING_SIZE);
    this.#send(conn, out.subarray(0, P.pingPacket(out, C.TCP_PACKET_PING, id)));
    conn.pongTimer = setTimeout(() => this.#kill(conn, `no pong within ${this.#options.pingTimeout} ms`), this.#options.pingTimeout);
  }

  #kill(conn, why) {
    if (conn.dead) return;
    if (conn.state === "confirmed") for (let i = 0; i < C.NUM_CLIENT_CONNECTIONS; i++) this.#unlink(conn, i, "gone");
    conn.dead = true;
    this.stats.dropped++;
    clearTimeout(conn.handshakeTimer);
    clearInterval(conn.pingTimer);
    clearTimeout(conn.pongTimer);
    if (this.#accepted.get(conn.keyHex) === conn) this.#accepted.delete(conn.keyHex);
    this.#all.delete(conn);
    const i = this.#pending.indexOf(conn);
    if (i >= 0) this.#pending.splice(i, 1);
    for (const dest of conn.pausedOn) dest.waiters.delete(conn);
    conn.pausedOn.clear();
    this.#drained(conn); // whoever waited on conn goes on
    conn.input = Buffer.alloc(0);
    conn.socket.destroy();
    this.#log(`relay: ${conn.name} dropped: ${why}`);
  }
}
