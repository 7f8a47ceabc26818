// `embedded:io/socket/listener` for the simulator: a TCP listener on 127.0.0.1 (Node `net` in the parent).
// onReadable(count) reports connections waiting; read() hands one over as the `from` option of a new TCP.
// Port 0 picks a free port (the `port` property tells which); the simulator reports it to its host as
// `listening <port>`.
// Simulator only, not on a board: `path` (a string) instead of `port` / `address` listens on a filesystem unix
// socket (a stale socket file at that path is replaced), for host programs that speak a unix socket (lws' Secure
// Streams proxy clients); the connections it accepts are the same TCP objects.
import { call, listen, unlisten } from "sim:bridge";

export default class Listener {
  #id;
  #pending = 0;
  #onReadable;
  #closed = false;
  #port = 0;

  constructor(options) {
    if (!options || typeof options !== "object") throw new TypeError("invalid options");
    this.#onReadable = options.onReadable;
    if (options.path !== undefined) {
      if (typeof options.path !== "string" || options.path.length === 0 || options.path.length > 107) throw new RangeError("invalid path");
      this.#id = call("listener.open", { path: options.path }).header.id;
    } else {
      const port = options.port ?? 0;
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError("invalid port");
      const address = options.address ?? "127.0.0.1";
      const { header } = call("listener.open", { port, address });
      this.#id = header.id;
      this.#port = header.port;
    }
    listen("listener", this.#id, (event) => {
      this.#pending = event.readable;
      if (!this.#closed && this.#pending > 0) this.#onReadable?.call(this, this.#pending);
    });
  }

  get port() { return this.#port; }

  read() {
    if (this.#closed) throw new Error("closed");
    if (!this.#pending) return undefined;
    this.#pending -= 1;
    const { header } = call("listener.accept", { id: this.#id });
    return Object.seal({ id: header.socket, address: header.address, port: header.port, taken: false });
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    unlisten("listener", this.#id);
    call("listener.close", { id: this.#id });
  }
}
