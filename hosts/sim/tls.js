// `embedded:io/socket/tcp/tls` for the simulator: the shape and the failure modes of Moddable's TLSSocket
// (examples/io/tcp/tlssocket), per ../shared/moddable-platform.md:
// - it builds its own TCP from `options.TCP.io` (required) and connects to `address`; `host` (or
//   `secure.serverName`) is only the certificate name; `secure.certificate` is a trusted CA in DER, `verify`
//   defaults to true, and with no CA verification fails;
// - TLS 1.2 only, the board's suites, P-256 only, and the server must send a chain of two or more certificates;
// - every handshake failure is an Error THROWN FROM INSIDE THE TCP CALLBACK this socket gave its TCP
//   ("TLS: certificate: auth err", "TLS: alert: 2, 70", ...): unguarded, it aborts the VM, as on a board;
// - callbacks get an internal object as `this`, not the socket; onWritable comes only after the handshake and
//   reports the TCP's space minus 96; read(view) copies what there is and returns the count; a peer close is
//   onError().
// The record layer runs in the parent (Node `tls` configured with the board's limits, sim/host-tls.js); the
// ciphertext travels through the device's TCP class in both directions, so a guard around it sees what a board's
// guard would see.
import { call, listen, unlisten } from "sim:bridge";

const RECORD_OVERHEAD = 96;
// Decrypted bytes the socket holds before it stops reading ciphertext from its TCP (a board decrypts a record at a
// time into a fixed buffer): past this, unread data stays in the TCP and the peer is pushed back.
const PLAIN_LIMIT = 16 * 1024;
const FEED_STEP = 4096;

export default class TLSSocket {
  #id;
  #tcp;
  #callbacks;
  #self = Object.freeze({});
  #tcpWritable = 0;
  #started = false;
  #handshaken = false;
  #pendingOut = 0;
  #plain = 0;
  #grew = false;
  #tcpPending = 0;
  #failed = false;
  #closed = false;
  #format = "buffer";

  constructor(options) {
    const TCPClass = options?.TCP?.io;
    if (typeof TCPClass !== "function") throw new TypeError("TLSSocket: options.TCP.io required");
    const secure = options.secure ?? {};
    const serverName = secure.serverName ?? options.host;
    let ca;
    if (secure.certificate !== undefined) {
      const c = secure.certificate;
      ca = c instanceof ArrayBuffer ? c : ArrayBuffer.isView(c) ? c.buffer.slice(c.byteOffset, c.byteOffset + c.byteLength) : undefined;
      if (!ca) throw new TypeError("TLSSocket: secure.certificate must be DER bytes");
    }
    this.#callbacks = { onReadable: options.onReadable, onWritable: options.onWritable, onError: options.onError };
    if (options.format !== undefined) this.format = options.format;
    this.#id = call("tls.create", {
      serverName: typeof serverName === "string" ? serverName : undefined,
      address: options.address,
      verify: secure.verify !== false,
    }, ca).header.id;
    listen("tls", this.#id, (event) => this.#pump(event));
    this.#tcp = new TCPClass({
      address: options.address,
      port: options.port,
      nodelay: options.nodelay,
      onReadable: (count) => this.#tcpReadable(count),
      onWritable: (count) => this.#tcpWritableEvent(count),
      onError: () => this.#tcpError(),
    });
  }

  get format() { return this.#format; }
  set format(value) {
    if (value !== "buffer" && value !== "number") throw new RangeError("invalid format");
    this.#format = value;
  }

  read(what) {
    if (this.#closed) throw new Error("closed");
    if (what === undefined) {
      if (!this.#plain) return undefined;
      if (this.#format === "number") return new Uint8Array(this.#take(1))[0];
      return this.#take(this.#plain);
    }
    if (typeof what === "number") {
      const count = Math.min(what, this.#plain);
      return count > 0 ? this.#take(count) : undefined;
    }
    const view = ArrayBuffer.isView(what)
      ? new Uint8Array(what.buffer, what.byteOffset, what.byteLength)
      : what instanceof ArrayBuffer ? new Uint8Array(what) : undefined;
    if (!view) throw new TypeError("invalid");
    const count = Math.min(view.byteLength, this.#plain);
    if (count > 0) view.set(new Uint8Array(this.#take(count)));
    return count;
  }

  write(buffer) {
    if (this.#closed) throw new Error("closed");
    if (this.#failed) return 0;
    let bytes;
    if (buffer instanceof ArrayBuffer) bytes = new Uint8Array(buffer);
    else if (ArrayBuffer.isView(buffer)) bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    else throw new TypeError("invalid buffer");
    if (!this.#handshaken || bytes.byteLength > this.#tcpWritable - RECORD_OVERHEAD) throw new Error("would block");
    this.#apply(call("tls.write", { id: this.#id }, bytes).header);
    this.#flush();
    return this.#tcpWritable;
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    unlisten("tls", this.#id);
    call("tls.close", { id: this.#id });
    this.#tcp.close();
  }

  #take(count) {
    this.#plain -= count;
    const bytes = call("tls.read", { id: this.#id, count }).payload;
    if (this.#tcpPending > 0 && this.#plain < PLAIN_LIMIT) {
      // Room again: take more ciphertext from the TCP; the parent reports the result as a `tls` event.
      this.#feedTcp();
      this.#flush();
      call("tls.poke", { id: this.#id });
    }
    return bytes;
  }

  /** Feed ciphertext waiting in the TCP to the record layer while the decrypted backlog is under its limit. */
  #feedTcp() {
    let handshook = false;
    while (this.#tcpPending > 0 && this.#plain < PLAIN_LIMIT && !this.#failed) {
      const n = Math.min(this.#tcpPending, FEED_STEP);
      const ciphertext = this.#tcp.read(n);
      this.#tcpPending -= n;
      handshook = this.#apply(call("tls.feed", { id: this.#id }, ciphertext).header) || handshook;
    }
    return handshook;
  }

  #apply(state) {
    this.#pendingOut = state.out;
    this.#grew ||= state.plain > this.#plain;
    this.#plain = state.plain;
    if (state.error) {
      this.#failed = true;
      throw new Error(state.error);
    }
    const handshook = state.handshaken && !this.#handshaken;
    this.#handshaken = state.handshaken;
    return handshook;
  }

  #flush() {
    while (this.#pendingOut > 0 && this.#tcpWritable > 0) {
      const { header, payload } = call("tls.take", { id: this.#id, max: this.#tcpWritable });
      this.#pendingOut = header.out;
      if (!payload) break;
      this.#tcpWritable -= payload.byteLength;
      this.#tcp.write(payload);
    }
  }

  #notify(handshook) {
    if (this.#closed) return;
    if (handshook && this.#tcpWritable > RECORD_OVERHEAD) {
      this.#callbacks.onWritable?.call(this.#self, this.#tcpWritable - RECORD_OVERHEAD);
    }
    if (this.#closed) return;
    const grew = this.#grew;
    this.#grew = false;
    if (grew && this.#plain > 0) this.#callbacks.onReadable?.call(this.#self, this.#plain);
  }

  // TCP callbacks. A TLS failure found here is thrown, out through the TCP class's callback, as on a board.
  #tcpWritableEvent(count) {
    if (this.#closed || this.#failed) return;
    this.#tcpWritable = count;
    let handshook = false;
    if (!this.#started) {
      this.#started = true;
      handshook = this.#apply(call("tls.start", { id: this.#id }).header);
    }
    this.#flush();
    if (this.#handshaken && !handshook && this.#tcpWritable > RECORD_OVERHEAD) {
      this.#callbacks.onWritable?.call(this.#self, this.#tcpWritable - RECORD_OVERHEAD);
    } else this.#notify(handshook);
  }

  #tcpReadable(count) {
    if (this.#closed || this.#failed) return;
    this.#tcpPending = count;
    const handshook = this.#feedTcp();
    this.#flush();
    this.#notify(handshook);
  }

  #tcpError() {
    if (this.#closed) return;
    if (this.#grew && !this.#failed) this.#notify(false); // decrypted bytes first, then the close
    if (this.#closed) return;
    this.#failed = true;
    this.#callbacks.onError?.call(this.#self);
  }

  // State that changed in the parent outside a call (late plaintext or ciphertext): same paths, no throw.
  #pump(event) {
    if (this.#closed || this.#failed) return;
    if (event.error) {
      this.#failed = true;
      this.#callbacks.onError?.call(this.#self);
      return;
    }
    const handshook = this.#apply(event);
    this.#flush();
    this.#notify(handshook);
  }
}
