// `embedded:io/socket/listener` for the simulator: a TCP listener on 127.0.0.1 (Node `net` in the parent).
// onReadable(count) reports connections waiting; read() hands one over as the `from` option of a new TCP.
// Port 0 picks a free port; the simulator reports it to its host as `listening <port>`.
import { call, listen, unlisten } from "sim:bridge";

export default class Listener {
  #id;
  #pending = 0;
  #onReadable;
  #closed = false;

  constructor(options) {
    if (!options || typeof options !== "object") throw new TypeError("invalid options");
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError("invalid port");
    const address = options.address ?? "127.0.0.1";
    this.#onReadable = options.onReadable;
    this.#id = call("listener.open", { port, address }).header.id;
    listen("listener", this.#id, (event) => {
      this.#pending = event.readable;
      if (!this.#closed && this.#pending > 0) this.#onReadable?.call(this, this.#pending);
    });
  }

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
