// `embedded:io/socket/tcp` for the simulator, with the rules the Moddable SDK's TCP has on a board
// (README, "What the simulator reproduces"): connects to a dotted IPv4 `address` only (a `host` name throws
// "invalid address"); read(n) / read(view) past what is readable throws "invalid"; write() larger than the space
// last reported by onWritable throws "would block" (also before the connection is up); every failure, refusal,
// reset or peer close is onError() with no argument; a write after an error is silently ignored.
// Bytes live in the Node parent until read (sim/host-tcp.js), so a slow reader pushes back on the peer.
import { call, listen, unlisten } from "sim:bridge";

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// The board's rules in force; the conformance suite switches one off to prove its case notices.
const rules = call("rules").header;

export default class TCP {
  #id;
  #readable = 0;
  #writable = 0;
  #format = "buffer";
  #failed = false;
  #closed = false;
  #onReadable;
  #onWritable;
  #onError;
  #remote;

  constructor(options) {
    if (!options || typeof options !== "object") throw new TypeError("invalid options");
    this.#onReadable = options.onReadable;
    this.#onWritable = options.onWritable;
    this.#onError = options.onError;
    if (options.format !== undefined) this.format = options.format;
    if (options.from !== undefined) {
      const from = options.from;
      if (!from || typeof from.id !== "number" || from.taken) throw new Error("invalid from");
      from.taken = true;
      this.#id = from.id;
      this.#remote = { address: from.address, port: from.port };
      call("tcp.adopt", { id: this.#id, nodelay: !!options.nodelay });
    } else if (options.path !== undefined && options.address === undefined && options.host === undefined) {
      // Simulator only (not on a board): a filesystem unix socket, as hosts/sim/listener.js `path` serves one.
      if (typeof options.path !== "string" || options.path.length === 0 || options.path.length > 107) throw new RangeError("invalid path");
      this.#id = call("tcp.connect", { path: options.path, nodelay: false }).header.id;
      this.#remote = { address: undefined, port: undefined };
    } else {
      let address = options.address;
      if (address === undefined && typeof options.host === "string" && !rules.tcpHostThrows) {
        address = call("dns.lookup", { host: options.host }).header.address; // rule off: a lenient, Node-like TCP
      }
      if (typeof address !== "string" || !IPV4.test(address)) throw new Error("invalid address");
      const port = options.port;
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError("invalid port");
      this.#id = call("tcp.connect", { address, port, nodelay: !!options.nodelay }).header.id;
      this.#remote = { address, port };
    }
    listen("tcp", this.#id, (event) => this.#event(event));
  }

  get format() { return this.#format; }
  set format(value) {
    if (value !== "buffer" && value !== "number") throw new RangeError("invalid format");
    this.#format = value;
  }
  get remoteAddress() { return this.#remote.address; }
  get remotePort() { return this.#remote.port; }

  read(what) {
    if (this.#closed) throw new Error("closed");
    if (!this.#readable) return undefined;
    if (what === undefined) {
      if (this.#format === "number") return new Uint8Array(this.#take(1))[0];
      return this.#take(this.#readable);
    }
    if (typeof what === "number") {
      if (!(what > 0) || what > this.#readable) {
        if (rules.tcpReadPastThrows) throw new Error("invalid");
        return what > 0 ? this.#take(this.#readable) : undefined; // rule off: a lenient read
      }
      return this.#take(what);
    }
    const view = ArrayBuffer.isView(what)
      ? new Uint8Array(what.buffer, what.byteOffset, what.byteLength)
      : what instanceof ArrayBuffer ? new Uint8Array(what) : undefined;
    if (!view) throw new TypeError("invalid");
    if (view.byteLength > this.#readable) {
      if (rules.tcpReadPastThrows) throw new Error("invalid");
      const count = this.#readable; // rule off: a lenient read
      view.set(new Uint8Array(this.#take(count)));
      return count;
    }
    if (view.byteLength) view.set(new Uint8Array(this.#take(view.byteLength)));
    return view.byteLength;
  }

  write(buffer) {
    if (this.#closed) throw new Error("closed");
    if (this.#failed) {
      if (!rules.tcpWriteAfterErrorIgnored) throw new Error("closed"); // rule off: a write after an error throws
      return; // the SDK ignores a write after an error
    }
    let bytes;
    if (typeof buffer === "number" && this.#format === "number") bytes = Uint8Array.of(buffer);
    else if (buffer instanceof ArrayBuffer) bytes = new Uint8Array(buffer);
    else if (ArrayBuffer.isView(buffer)) bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    else throw new TypeError("invalid buffer");
    if (bytes.byteLength > this.#writable && rules.tcpWritePastThrows) throw new Error("would block");
    this.#writable -= bytes.byteLength;
    call("tcp.write", { id: this.#id }, bytes);
    return this.#writable; // as the SDK's lwip TCP: the send space left
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    unlisten("tcp", this.#id);
    call("tcp.close", { id: this.#id });
  }

  #take(count) {
    this.#readable -= count;
    return call("tcp.read", { id: this.#id, count }).payload;
  }

  #event(event) {
    if (this.#closed) return;
    if (event.error && !rules.tcpErrorAfterBytes) this.#error(); // rule off: the close ahead of unread bytes
    if (event.readable !== undefined) {
      this.#readable = event.readable;
      if (this.#readable > 0) this.#onReadable?.call(this, this.#readable);
    }
    if (this.#closed) return;
    if (event.writable !== undefined) {
      this.#writable = event.writable;
      if (this.#writable > 0) this.#onWritable?.call(this, this.#writable);
    }
    if (this.#closed) return;
    if (event.error && !this.#failed) this.#error();
  }

  #error() {
    this.#failed = true;
    this.#writable = 0;
    if (rules.tcpErrorNoArgs) this.#onError?.call(this);
    else this.#onError?.call(this, new Error("closed")); // rule off: an error with detail
  }
}
