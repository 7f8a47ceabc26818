// tcp/client: plain TCP in the TLS client's non-blocking shape (tls/client): connect in the background, write ->
// bytes taken, read -> bytes given, wait(timeout) the only call that waits, close, coded errors (tcp/errors). Names
// go through the DNS resolver (a literal IPv4 address skips it); bytes move through two fixed rings allocated at
// connect; the socket is read only while the rx ring has room (backpressure) and written only as far as it
// reported room. On the board's TCP (README, "What the simulator reproduces"): connect to a dotted address only,
// onError() with no detail for refusal, reset and peer close alike, and a close only after every byte before it
// was read: a peer close leaves what was received readable, then reads throw TCP_CLOSED.
// Used by Secure Streams for "tls": false (ss/tcp) and by ministreaming for a plain TCP service (ministream/tcp).
import Ring from "ring";
import Timer from "timer";
import { ConnectionWaits, type WaitFor, type WaitResult } from "waits";
import TCP from "embedded:io/socket/tcp";
import { resolveHost, IPV4, type DnsProvider } from "tcp/resolve";
import {
  TCPError, TCP_BAD_ARGUMENT, TCP_DNS, TCP_CONNECT_FAILED, TCP_TIMEOUT, TCP_CLOSED,
} from "tcp/errors";

export type TCPState = "resolving" | "connecting" | "open" | "closed" | "failed";
export type { WaitFor, WaitResult } from "waits";

export interface TCPOptions {
  /** Ring sizes (bytes), fixed at connect. */
  rxSize: number;
  txSize: number;
  /** The connection must be up within this (ms, >= 1). */
  connectTimeout: number;
  /** Fail with TCP_TIMEOUT after this long with no data either way (ms; 0 or absent: never). */
  idleTimeout?: number;
  /** Log prefix (default "tcp"). */
  tag?: string;
  /** Disable Nagle (the SDK's TCP option). */
  nodelay?: boolean;
}

/** Host providers, as tls/client takes them (`any`: the SDK's own classes). */
export type TCPProviders = {
  dns?: DnsProvider;
  tcp?: new (options: any) => any;
};

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/;
const MAX_WAITERS = 4;

type TimerID = ReturnType<typeof Timer.set>;

function span(bytes: Uint8Array, offset: number, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array)) throw new TCPError(TCP_BAD_ARGUMENT, `${what} wants a Uint8Array`);
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > bytes.byteLength) {
    throw new TCPError(TCP_BAD_ARGUMENT, `${what}: offset/length outside the buffer`);
  }
}

export class TCPConnection {
  readonly host: string;
  readonly port: number;
  #state: TCPState = "resolving";
  #error: TCPError | undefined;
  #peerClosed = false;
  readonly #rx: Ring;
  readonly #tx: Ring;
  readonly #providers: TCPProviders;
  readonly #tag: string;
  readonly #idle: number;
  #socket: any; // the SDK's TCP
  #readable = 0;
  #writable = 0;
  #connectTimer: TimerID | undefined;
  #idleTimer: TimerID | undefined;
  readonly #waits = new ConnectionWaits(MAX_WAITERS);
  readonly #nodelay: boolean;
  // The ring's socket adapters, made once (the socket fills or takes the whole view it is given).
  readonly #fromSocket = (view: Uint8Array): number => {
    this.#socket.read(view);
    return view.length;
  };
  readonly #toSocket = (view: Uint8Array): number => {
    this.#socket.write(view);
    return view.length;
  };

  constructor(host: string, port: number, options: TCPOptions, providers: TCPProviders = {}) {
    if (typeof host !== "string" || host.length === 0 || host.length > 253 || !(IPV4.test(host) || HOSTNAME.test(host))) {
      throw new TCPError(TCP_BAD_ARGUMENT, `bad host name: ${JSON.stringify(host)}`);
    }
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new TCPError(TCP_BAD_ARGUMENT, `port must be 1-65535, not ${String(port)}`);
    }
    if (!Number.isInteger(options.connectTimeout) || options.connectTimeout < 1) {
      throw new TCPError(TCP_BAD_ARGUMENT, "connectTimeout must be an integer >= 1");
    }
    this.host = host;
    this.port = port;
    this.#providers = providers;
    this.#tag = options.tag ?? "tcp";
    this.#idle = options.idleTimeout ?? 0;
    this.#nodelay = options.nodelay === true;
    this.#rx = new Ring(options.rxSize);
    this.#tx = new Ring(options.txSize);
    this.#connectTimer = Timer.set(() => {
      this.#connectTimer = undefined;
      this.#fail(new TCPError(TCP_TIMEOUT, `no connection to ${host}:${port} within ${options.connectTimeout} ms`));
    }, options.connectTimeout);
    resolveHost(host, this.#providers.dns, (address) => {
      if (this.#state === "resolving") this.#open(address);
    }, (why) => {
      if (this.#state === "resolving") this.#fail(new TCPError(TCP_DNS, why));
    });
  }

  get state(): TCPState { return this.#state; }
  get error(): TCPError | undefined { return this.#error; }
  /** Bytes write() would take now (0 once closed). */
  get writable(): number { return this.#state === "closed" || this.#state === "failed" || this.#peerClosed ? 0 : this.#tx.free; }
  /** Bytes taken by write() and not yet handed to the socket. */
  get pending(): number { return this.#tx.available; }
  isOpen(): boolean { return this.#state === "open" && !this.#peerClosed; }

  read(into: Uint8Array, offset = 0, length = into.byteLength - offset): number {
    span(into, offset, length, "read");
    this.#pull();
    const n = this.#rx.read(into, offset, length);
    if (n > 0) {
      this.#pull();
      this.#touch();
      return n;
    }
    if (length > 0) {
      if (this.#error) throw this.#error;
      if (this.#state === "closed") throw new TCPError(TCP_CLOSED, this.#peerClosed ? "closed by the peer" : "closed");
    }
    return 0;
  }

  write(bytes: Uint8Array, offset = 0, length = bytes.byteLength - offset): number {
    span(bytes, offset, length, "write");
    if (this.#error) throw this.#error;
    if (this.#state === "closed" || this.#peerClosed) throw new TCPError(TCP_CLOSED, "connection closed");
    const n = this.#tx.write(bytes, offset, length);
    this.#flush();
    return n;
  }

  /**
   * Resolve when something changes or after timeoutMs: the only call that waits. `until` narrows it: "readable"
   * (bytes to read), "writable" (room in the tx ring), "state" (only a change of state); a state change or the
   * timeout ends any wait. It resolves at once when what it waits for is already there.
   */
  wait(timeoutMs: number, until: WaitFor = "any"): Promise<WaitResult> {
    if (typeof timeoutMs !== "number" || !(timeoutMs >= 0)) {
      return Promise.reject(new TCPError(TCP_BAD_ARGUMENT, "wait wants a timeout in ms >= 0"));
    }
    if (until !== "any" && until !== "readable" && until !== "writable" && until !== "state") {
      return Promise.reject(new TCPError(TCP_BAD_ARGUMENT, `wait for "any", "readable", "writable" or "state", not ${String(until)}`));
    }
    if ((until === "any" || until === "readable") && this.#rx.available > 0) return Promise.resolve("readable");
    if (until === "writable" && this.#tx.free > 0 && this.#state === "open") return Promise.resolve("writable");
    if (this.#state === "closed" || this.#state === "failed" || this.#peerClosed) return Promise.resolve("state");
    return this.#waits.add(until, timeoutMs)
      ?? Promise.reject(new TCPError(TCP_BAD_ARGUMENT, `at most ${MAX_WAITERS} waits at once`));
  }

  close(): void {
    if (this.#state === "closed") return;
    this.#clearTimers();
    this.#closeSocket();
    if (this.#state !== "failed") this.#state = "closed";
    this.#wake("state");
  }

  #open(address: string): void {
    this.#state = "connecting";
    const Socket = this.#providers.tcp ?? TCP;
    try {
      this.#socket = new Socket({
        address,
        port: this.port,
        nodelay: this.#nodelay,
        onReadable: (count: number) => {
          this.#readable = count;
          this.#pull();
        },
        onWritable: (count: number) => this.#onWritable(count),
        onError: () => this.#onError(),
      });
    } catch (error) {
      this.#fail(new TCPError(TCP_CONNECT_FAILED, `cannot open a socket to ${address}:${this.port}: ${String(error)}`));
    }
  }

  #onWritable(count: number): void {
    if (this.#state === "connecting") {
      if (this.#connectTimer) Timer.clear(this.#connectTimer);
      this.#connectTimer = undefined;
      this.#state = "open";
      this.#touch();
      this.#wake("state");
    }
    this.#writable = count;
    this.#flush();
  }

  #onError(): void {
    if (this.#state === "open") {
      if (this.#peerClosed) return;
      this.#peerClosed = true;
      this.#wake("state");
      this.#pull();
    } else if (this.#state === "connecting" || this.#state === "resolving") {
      this.#fail(new TCPError(TCP_CONNECT_FAILED, `connection to ${this.host}:${this.port} failed (refused or unreachable; the board gives no detail)`));
    }
  }

  /** Socket -> rx ring while there is room (the socket keeps the rest: backpressure). */
  #pull(): void {
    const socket = this.#socket;
    if (!socket || this.#state !== "open") return;
    const before = this.#rx.available;
    while (this.#readable > 0 && this.#rx.free > 0) {
      const n = this.#rx.writeFrom(this.#fromSocket, this.#readable);
      if (n <= 0) break;
      this.#readable -= n;
    }
    if (this.#rx.available > before) {
      this.#touch();
      this.#wake("readable");
    }
    if (this.#peerClosed && this.#readable <= 0) {
      this.#clearTimers();
      this.#closeSocket();
      this.#state = "closed";
      this.#wake("state");
    }
  }

  /** tx ring -> socket, never more than it reported writable. */
  #flush(): void {
    const socket = this.#socket;
    if (!socket || this.#state !== "open" || this.#peerClosed) return;
    if (this.#writable <= 0 || this.#tx.available === 0) return;
    const sent = this.#tx.readTo(this.#toSocket, this.#writable);
    this.#writable -= sent;
    if (sent > 0) {
      this.#touch();
      this.#wake("writable");
    }
  }

  #touch(): void {
    const idle = this.#idle;
    if (idle <= 0 || this.#state !== "open") return;
    if (this.#idleTimer) Timer.schedule(this.#idleTimer, idle);
    else {
      this.#idleTimer = Timer.set(() => {
        this.#idleTimer = undefined;
        this.#fail(new TCPError(TCP_TIMEOUT, `no data either way for ${idle} ms`));
      }, idle);
    }
  }

  #fail(error: TCPError): void {
    if (this.#state === "failed" || this.#state === "closed") return;
    this.#error = error;
    this.#state = "failed";
    trace(`${this.#tag}: ${this.host}:${this.port} ${error.code} ${error.message}\n`);
    this.#clearTimers();
    this.#closeSocket();
    this.#wake("state");
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

  #clearTimers(): void {
    if (this.#connectTimer) Timer.clear(this.#connectTimer);
    if (this.#idleTimer) Timer.clear(this.#idleTimer);
    this.#connectTimer = this.#idleTimer = undefined;
    this.#waits.stop();
  }

  /** End the waits `result` is for: a state change ends any wait, "readable"/"writable" their own and "any". */
  #wake(result: WaitResult): void {
    this.#waits.wake(result); // the waiting code runs later, as a promise job
  }
}

/** Start a plain TCP connection; it opens in the background. Bad arguments throw TCP_BAD_ARGUMENT. */
export function connect(host: string, port: number, options: TCPOptions, providers?: TCPProviders): TCPConnection {
  return new TCPConnection(host, port, options, providers);
}
