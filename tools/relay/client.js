// A small Node client of the Tox TCP relay, on the same protocol code as the device (./shared.js): for operators'
// scripts and for the tests, which also use its raw access (sendPacket, writeRaw) to send what a good client never
// would. Promise-based; packets arrive as events.
//   const c = await NodeRelayClient.connect({ port, relayKey });   // handshake + first ping answered
//   const id = await c.route(peerKey);  c.on("connect", (id) => ...);  c.send(id, bytes);  c.on("data", (id, bytes) => ...)
// Events: "packet" (every decrypted packet), "route" (id, key), "connect" (id), "disconnect" (id), "data" (id, bytes),
// "oob" (key, bytes), "ping" (id bytes; answered already), "close" (why).
import net from "node:net";
import { EventEmitter } from "node:events";
import { randomFillSync } from "node:crypto";
import { constants as C, crypto, packet as P } from "./shared.js";

export class NodeRelayClient extends EventEmitter {
  socket;
  session = null;
  closed = false;
  /** When true, pings from the relay are not answered (a test's silent peer). */
  silent = false;
  #input = Buffer.alloc(0);
  #handshake;
  #pings = new Map();

  /**
   * options: port, host (default 127.0.0.1), relayKey (32 bytes or hex), secretKey (default: a new one),
   * timeout (ms, default 5000), confirm (default true: send a ping and wait for its pong, so the relay counts us).
   */
  static async connect({ port, host = "127.0.0.1", relayKey, secretKey, timeout = 5000, confirm = true, random } = {}) {
    const client = new NodeRelayClient();
    client.random = random ?? ((into) => randomFillSync(into));
    client.secretKey = secretKey ?? crypto.newKeyPair(client.random).secretKey;
    client.publicKey = crypto.publicKeyOf(client.secretKey);
    const key = typeof relayKey === "string" ? crypto.fromHex(relayKey, 32) : relayKey;
    client.#handshake = new crypto.ClientHandshake(client.publicKey, client.secretKey, key, client.random);
    await client.#open(port, host, timeout);
    if (confirm) await client.ping(timeout);
    return client;
  }

  #open(port, host, timeout) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.end(); reject(new Error("relay client: no handshake reply in time")); }, timeout);
      this.socket = net.connect(port, host, () => this.socket.write(this.#handshake.hello));
      this.socket.setNoDelay(true);
      this.socket.on("error", () => {});
      this.socket.on("close", () => {
        clearTimeout(timer);
        if (!this.session) reject(new Error("relay client: closed without a handshake reply"));
        this.#close("socket closed");
      });
      this.socket.on("data", (chunk) => {
        this.#input = this.#input.length ? Buffer.concat([this.#input, chunk]) : chunk;
        if (!this.session) {
          if (this.#input.length < C.TCP_SERVER_HANDSHAKE_SIZE) return;
          this.session = this.#handshake.finish(Uint8Array.prototype.slice.call(this.#input, 0, C.TCP_SERVER_HANDSHAKE_SIZE));
          this.#input = this.#input.subarray(C.TCP_SERVER_HANDSHAKE_SIZE);
          clearTimeout(timer);
          if (!this.session) {
            this.end();
            reject(new Error("relay client: the handshake reply does not open"));
            return;
          }
          resolve();
        }
        this.#frames();
      });
    });
  }

  #frames() {
    for (;;) {
      const length = P.frameLength(this.#input);
      if (length === P.NEED_MORE) return;
      if (length === P.BAD_FRAME) return this.#close("frame too long");
      if (this.#input.length < 2 + length) return;
      const body = this.#input.subarray(2, 2 + length);
      this.#input = this.#input.subarray(2 + length);
      if (length === 0) continue;
      const plain = this.session.openFrame(body);
      if (!plain) return this.#close("frame does not authenticate");
      this.#packet(Uint8Array.from(plain));
    }
  }

  #packet(p) {
    this.emit("packet", p);
    const type = p[0];
    if (type >= C.NUM_RESERVED_PORTS) this.emit("data", type, p.subarray(1));
    else if (type === C.TCP_PACKET_ROUTING_RESPONSE) this.emit("route", p[1], p.subarray(2));
    else if (type === C.TCP_PACKET_CONNECTION_NOTIFICATION) this.emit("connect", p[1]);
    else if (type === C.TCP_PACKET_DISCONNECT_NOTIFICATION) this.emit("disconnect", p[1]);
    else if (type === C.TCP_PACKET_OOB_RECV) this.emit("oob", p.subarray(1, 33), p.subarray(33));
    else if (type === C.TCP_PACKET_PING) {
      const out = new Uint8Array(9);
      if (!this.silent) this.sendPacket(out.subarray(0, P.pingPacket(out, C.TCP_PACKET_PONG, p.subarray(1))));
      this.emit("ping", p.subarray(1));
    } else if (type === C.TCP_PACKET_PONG) {
      const hex = crypto.toHex(p.subarray(1));
      const done = this.#pings.get(hex);
      if (done) { this.#pings.delete(hex); done(); }
    }
  }

  #close(why) {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    for (const done of this.#pings.values()) done(new Error(`closed: ${why}`));
    this.#pings.clear();
    this.emit("close", why);
  }

  /** Seals and sends one packet (any bytes: the tests send what a relay must refuse). */
  sendPacket(plain) {
    if (this.closed) return;
    this.socket.write(Buffer.from(this.session.sealFrame(plain)));
  }

  /** Writes raw bytes to the socket. */
  writeRaw(bytes) {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Sends a ping and resolves when its pong comes (rejects after timeout or on close). */
  ping(timeout = 5000) {
    const id = new Uint8Array(8);
    do this.random(id); while (id.every((b) => b === 0));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.#pings.delete(crypto.toHex(id)); reject(new Error("relay client: no pong")); }, timeout);
      this.#pings.set(crypto.toHex(id), (error) => { clearTimeout(timer); if (error) reject(error); else resolve(); });
      const out = new Uint8Array(9);
      this.sendPacket(out.subarray(0, P.pingPacket(out, C.TCP_PACKET_PING, id)));
    });
  }

  /** Sends a routing request; resolves the id of the response for that key (0 = refused). */
  route(key, timeout = 5000) {
    const keyHex = crypto.toHex(key);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.off("route", on); reject(new Error("relay client: no routing response")); }, timeout);
      const on = (id, k) => {
        if (crypto.toHex(k) !== keyHex) return;
        clearTimeout(timer);
        this.off("route", on);
        resolve(id);
      };
      this.on("route", on);
      const out = new Uint8Array(33);
      this.sendPacket(out.subarray(0, P.routingRequest(out, key)));
    });
  }

  /** Resolves with the next event `name` whose arguments pass `filter`, or rejects after timeout. */
  next(name, filter = () => true, timeout = 5000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.off(name, on); reject(new Error(`relay client: no ${name} within ${timeout} ms`)); }, timeout);
      const on = (...args) => {
        if (!filter(...args)) return;
        clearTimeout(timer);
        this.off(name, on);
        resolve(args);
      };
      this.on(name, on);
    });
  }

  /** Sends data on a link, cut into packets of at most 2031 bytes. */
  send(id, data) {
    const out = new Uint8Array(C.MAX_PLAIN_SIZE);
    for (let at = 0; at < data.byteLength; at += C.MAX_LINK_DATA) {
      const n = Math.min(C.MAX_LINK_DATA, data.byteLength - at);
      this.sendPacket(out.subarray(0, P.dataPacket(out, id, data, at, n)));
    }
  }

  disconnect(id) {
    this.sendPacket(Uint8Array.of(C.TCP_PACKET_DISCONNECT_NOTIFICATION, id));
  }

  oob(key, data) {
    const out = new Uint8Array(33 + data.byteLength);
    this.sendPacket(out.subarray(0, P.oobPacket(out, C.TCP_PACKET_OOB_SEND, key, data)));
  }

  /** Resolves once the socket is closed (by either side). */
  closedPromise() {
    return this.closed ? Promise.resolve() : new Promise((resolve) => this.once("close", resolve));
  }

  end() {
    this.#close("ended here");
  }
}
