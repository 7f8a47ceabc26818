// ministream/tcp: a plain TCP connection in the TLS client's non-blocking shape (ministream/connection), for a
// server tunnel whose service speaks TCP without TLS (a TLS service uses tls/client's connect as it is). Two fixed
// rings allocated at connect; write() takes what fits in the tx ring, read() gives what the rx ring holds; the
// socket is read only while the rx ring has room (backpressure) and written only as far as it reported room. A
// peer close leaves the bytes already received readable, then reads throw MS_CLOSED. wait(timeout) is the only
// call that waits. As on a board, the address is a dotted IPv4 address (the SDK's TCP takes no names).
import Ring from "ring";
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import { MinistreamError, MS_BAD_ARGUMENT, MS_CLOSED, MS_CONNECT_FAILED, MS_TIMEOUT } from "ministream/errors";
import { Waiters, type Connection, type WaitFor, type WaitResult } from "ministream/connection";

export type TCPConnectOptions = {
  /** Ring sizes, fixed at connect. Default 2048 rx / 1024 tx. */
  rxSize?: number;
  txSize?: number;
  /** The connection must be up within this (ms). Default 10000. */
  connectTimeout?: number;
  /** The TCP class (default: the SDK's). `any`: the SDK's own constructor signature. */
  io?: new (options: any) => TCP;
  /** Log prefix. Default "tcp". */
  tag?: string;
};

export type TCPState = "connecting" | "open" | "closed" | "failed";

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function size(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 64 || value > 1 << 20) {
    throw new MinistreamError(MS_BAD_ARGUMENT, `${name} must be an integer from 64 to ${1 << 20}`);
  }
  return value;
}

export class TCPConnection implements Connection {
  readonly address: string;
  readonly port: number;
  readonly #tag: string;
  readonly #rx: Ring;
  readonly #tx: Ring;
  readonly #waiters = new Waiters();
  #state: TCPState = "connecting";
  #error: MinistreamError | undefined;
  #peerClosed = false;
  #socket: TCP | undefined;
  #readable = 0;
  #writable = 0;
  #timer: Timer | undefined;
  readonly #fromSocket = (view: Uint8Array): number => {
    this.#socket!.read(view);
    return view.byteLength;
  };
  readonly #toSocket = (view: Uint8Array): number => {
    this.#socket!.write(view);
    return view.byteLength;
  };

  constructor(address: string, port: number, options: TCPConnectOptions = {}) {
    if (typeof address !== "string" || !IPV4.test(address)) {
      throw new MinistreamError(MS_BAD_ARGUMENT, `the board's TCP takes a dotted IPv4 address, not ${JSON.stringify(address)}`);
    }
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new MinistreamError(MS_BAD_ARGUMENT, `port must be 1-65535, not ${String(port)}`);
    }
    this.address = address;
    this.port = port;
    this.#tag = options.tag ?? "tcp";
    this.#rx = new Ring(size(options.rxSize, 2048, "rxSize"));
    this.#tx = new Ring(size(options.txSize, 1024, "txSize"));
    const connectTimeout = options.connectTimeout ?? 10000;
    if (!Number.isInteger(connectTimeout) || connectTimeout < 1) {
      throw new MinistreamError(MS_BAD_ARGUMENT, "connectTimeout must be an integer >= 1");
    }
    this.#timer = Timer.set(() => {
      this.#timer = undefined;
      this.#fail(new MinistreamError(MS_TIMEOUT, `no connection to ${address}:${port} within ${connectTimeout} ms`));
    }, connectTimeout);
    const Socket = options.io ?? TCP;
    try {
      this.#socket = new Socket({
        address,
        port,
        nodelay: true,
        onReadable: (count: number) => this.#onReadable(count),
        onWritable: (count: number) => this.#onWritable(count),
        onError: () => this.#onError(),
      });
    } catch (error) {
      this.#fail(new MinistreamError(MS_CONNECT_FAILED, `cannot open a socket to ${address}:${port}: ${String(error)}`));
    }
  }

  get state(): TCPState { return this.#state; }
  get error(): MinistreamError | undefined { return this.#error; }
  isOpen(): boolean { return this.#state === "open" && !this.#peerClosed; }

  read(into: Uint8Array, offset = 0, length = into.byteLength - offset): number {
    if (!(into instanceof Uint8Array)) throw new MinistreamError(MS_BAD_ARGUMENT, "read wants a Uint8Array");
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > into.byteLength) {
      throw new MinistreamError(MS_BAD_ARGUMENT, "read: offset/length outside the buffer");
    }
    this.#pull();
    const n = this.#rx.read(into, offset, length);
    if (n === 0) {
      if (length > 0) this.#throwIfDone();
      return 0;
    }
    this.#pull();
    return n;
  }

  write(bytes: Uint8Array, offset = 0, length = bytes.byteLength - offset): number {
    if (!(bytes instanceof Uint8Array)) throw new MinistreamError(MS_BAD_ARGUMENT, "write wants a Uint8Array");
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > bytes.byteLength) {
      throw new MinistreamError(MS_BAD_ARGUMENT, "write: offset/length outside the buffer");
    }
    if (this.#error) throw this.#error;
    if (this.#state === "closed" || this.#peerClosed) throw new MinistreamError(MS_CLOSED, "connection closed");
    const n = this.#tx.write(bytes, offset, length);
    this.#flush();
    return n;
  }

  get writable(): number { return this.#state === "open" || this.#state === "connecting" ? this.#tx.free : 0; }
  get pending(): number { return this.#tx.available; }

  wait(timeoutMs: number, until: WaitFor = "any"): Promise<WaitResult> {
    let now: WaitResult | undefined;
    if (until !== "writable" && this.#rx.available > 0) now = "readable";
    else if (until === "writable" && this.#tx.free > 0 && this.#state === "open") now = "writable";
    else if (this.#state === "closed" || this.#state === "failed" || this.#peerClosed) now = "state";
    return this.#waiters.add(timeoutMs, until, now);
  }

  close(): void {
    if (this.#state === "closed") return;
    this.#clearTimer();
    this.#closeSocket();
    if (this.#state !== "failed") this.#state = "closed";
    this.#waiters.wake("state", true);
  }

  #onWritable(count: number): void {
    if (this.#state === "connecting") {
      this.#clearTimer();
      this.#state = "open";
      this.#waiters.wake("state");
    }
    this.#writable = count;
    this.#flush();
  }

  #onReadable(count: number): void {
    this.#readable = count;
    this.#pull();
  }

  #onError(): void {
    if (this.#state === "connecting") {
      this.#fail(new MinistreamError(MS_CONNECT_FAILED, `connection to ${this.address}:${this.port} refused, unreachable or reset`));
    } else if (this.#state === "open" && !this.#peerClosed) {
      this.#peerClosed = true;
      this.#writable = 0;
      this.#waiters.wake("state");
      this.#pull();
    }
  }

  #pull(): void {
    const socket = this.#socket;
    if (!socket || this.#state !== "open") return;
    const before = this.#rx.available;
    while (this.#readable > 0 && this.#rx.free > 0) {
      const n = this.#rx.writeFrom(this.#fromSocket, this.#readable);
      if (n <= 0) break;
      this.#readable -= n;
    }
    if (this.#rx.available > before) this.#waiters.wake("readable");
    if (this.#peerClosed && this.#readable <= 0) {
      // Everything the peer sent is in the rx ring: release the socket, keep the bytes readable.
      this.#closeSocket();
      this.#state = "closed";
      this.#waiters.wake("state", true);
    }
  }

  #flush(): void {
    if (!this.#socket || this.#state !== "open" || this.#peerClosed) return;
    let freed = 0;
    while (this.#writable > 0 && this.#tx.available > 0) {
      const n = this.#tx.readTo(this.#toSocket, this.#writable);
      if (n <= 0) break;
      this.#writable -= n;
      freed += n;
    }
    if (freed > 0) this.#waiters.wake("writable");
  }

  #fail(error: MinistreamError): void {
    if (this.#state === "failed" || this.#state === "closed") return;
    this.#error = error;
    this.#state = "failed";
    trace(`${this.#tag}: ${this.address}:${this.port} ${error.code} ${error.message}\n`);
    this.#clearTimer();
    this.#closeSocket();
    this.#waiters.wake("state", true);
  }

  #throwIfDone(): void {
    if (this.#error) throw this.#error;
    if (this.#state === "closed") {
      throw new MinistreamError(MS_CLOSED, this.#peerClosed
        ? "the peer closed the connection; the bytes it sent before have been read"
        : "connection closed");
    }
  }

  #closeSocket(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return;
    try {
      socket.close();
    } catch {
      // already closed by the SDK after an error
    }
  }

  #clearTimer(): void {
    if (this.#timer) Timer.clear(this.#timer);
    this.#timer = undefined;
  }
}

/** Starts a connection; it opens in the background. Bad arguments throw MS_BAD_ARGUMENT. */
export function connectTCP(address: string, port: number, options?: TCPConnectOptions): TCPConnection {
  return new TCPConnection(address, port, options);
}
