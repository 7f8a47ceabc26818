// The non-blocking TLS client: connect(host, port, options) returns a TLSConnection at once; name lookup, TCP
// connect and handshake go on in the background, and their failures surface on the next call as a TLSError
// (code + message, modules/tls/errors). Bytes move through two fixed rings allocated at connect: write() takes
// what fits in the tx ring (0 when full, never blocks), read() copies out of the rx ring. When the rx ring is full
// the socket is not read (backpressure); when the peer closes, bytes already received stay readable until drained,
// then reads report TLS_CLOSED. wait(timeoutMs) is the only call that waits.
//
// It survives the board's TLS (README, "What the simulator reproduces"): names go through the DNS resolver (literal
// IPv4 addresses skip it), TLSSocket gets a guarded, pacing TCP class (tls/guard) so a handshake failure becomes an
// error code instead of a VM abort and a server that speaks first loses nothing, it never reads or writes past the
// counts the socket reported, a peer close reported twice counts once, and every wait has a timeout.
import Ring from "ring";
import Timer from "timer";
import { ConnectionWaits, type WaitFor, type WaitResult } from "waits";
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import { resolveHost, IPV4, type DnsProvider } from "tcp/resolve";
import guardTCP from "tls/guard";
import {
  TLSError, fromHandshakeFailure, TLS_BAD_ARGUMENT, TLS_DNS, TLS_CONNECT_FAILED, TLS_TIMEOUT, TLS_CLOSED,
} from "tls/errors";

export type { WaitFor, WaitResult } from "waits";

export { TLSError } from "tls/errors";

/** Host providers, passed in (defaults: the SDK modules). `any`: these are the SDK's own classes. */
export type Providers = {
  dns?: DnsProvider;
  socket?: { io: new (options: any) => any; TCP: { io: new (options: any) => any } };
};

export type ConnectOptions = Providers & {
  /** Trusted CA certificate (DER). Required unless verify is false. */
  ca?: ArrayBuffer;
  /** Certificate name to verify; defaults to host. */
  serverName?: string;
  /** Default true. Turning verification off is explicit and logged. */
  verify?: boolean;
  /** Lookup + connect + handshake must finish within this (ms). Default 10000. */
  connectTimeout?: number;
  /** Close with TLS_TIMEOUT when no byte moves either way for this long (ms). 0 = never. Default 0. */
  idleTimeout?: number;
  /** Ring sizes, fixed at connect. Defaults 2048 rx / 1024 tx. */
  rxSize?: number;
  txSize?: number;
  /** Log prefix for trace lines. */
  tag?: string;
};

export type State = "resolving" | "connecting" | "open" | "closed" | "failed";

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/;
const MAX_WAITERS = 4;

function positiveInteger(value: unknown, fallback: number, name: string, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new TLSError(TLS_BAD_ARGUMENT, `${name} must be an integer >= ${min}`);
  }
  return value;
}

type TimerID = ReturnType<typeof Timer.set>;

export class TLSConnection {
  readonly host: string;
  readonly port: number;
  #options: ConnectOptions;
  #state: State = "resolving";
  #error: TLSError | undefined;
  #peerClosed = false;
  /** The TCP under the TLS socket has connected (its first onWritable): a connect timeout is then the handshake's. */
  #tcpConnected = false;
  #rx: Ring;
  #tx: Ring;
  #socket: any; // the SDK's TLSSocket
  #socketReadable = 0;
  #socketWritable = 0;
  #connectTimer: TimerID | undefined;
  #idleTimer: TimerID | undefined;
  readonly #waits = new ConnectionWaits(MAX_WAITERS);
  #tag: string;

  constructor(host: string, port: number, options: ConnectOptions = {}) {
    if (typeof host !== "string" || host.length === 0 || host.length > 253 || !(IPV4.test(host) || HOSTNAME.test(host))) {
      throw new TLSError(TLS_BAD_ARGUMENT, `bad host name: ${JSON.stringify(host)}`);
    }
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new TLSError(TLS_BAD_ARGUMENT, `port must be 1-65535, not ${String(port)}`);
    }
    if (options.verify !== false && !(options.ca && options.ca.byteLength > 0)) {
      throw new TLSError(TLS_BAD_ARGUMENT, "a trusted CA (DER ArrayBuffer) is required unless verify is false");
    }
    this.host = host;
    this.port = port;
    this.#options = options;
    this.#tag = options.tag ?? "tls";
    this.#rx = new Ring(positiveInteger(options.rxSize, 2048, "rxSize", 64));
    this.#tx = new Ring(positiveInteger(options.txSize, 1024, "txSize", 64));
    const connectTimeout = positiveInteger(options.connectTimeout, 10000, "connectTimeout");
    positiveInteger(options.idleTimeout, 0, "idleTimeout", 0);
    if (options.verify === false) trace(`${this.#tag}: WARNING certificate verification is OFF for ${host}\n`);
    this.#connectTimer = Timer.set(() => {
      this.#connectTimer = undefined;
      this.#fail(new TLSError(TLS_TIMEOUT, this.#state === "resolving"
        ? `no answer from the DNS for ${host} within ${connectTimeout} ms`
        : this.#tcpConnected
          ? `TCP connected to ${host}:${port}, but the TLS handshake did not finish within ${connectTimeout} ms (the server stalled, or does not speak TLS there)`
          : `no TCP connection to ${host}:${port} within ${connectTimeout} ms (no answer: a host down or a firewall)`));
    }, connectTimeout);
    resolveHost(host, options.dns, (address) => {
      if (this.#state === "resolving") this.#open(address);
    }, (why) => {
      if (this.#state === "resolving") this.#fail(new TLSError(TLS_DNS, why));
    });
  }

  /** Lifecycle state. */
  get state(): State { return this.#state; }
  /** The failure, if the connection failed. */
  get error(): TLSError | undefined { return this.#error; }

  isOpen(): boolean { return this.#state === "open" && !this.#peerClosed; }

  /** Bytes ready for read(). Throws the connection's error once it has failed and nothing is left to read. */
  bytesAvailable(): number {
    this.#pull();
    const n = this.#rx.available;
    if (n === 0) this.#throwIfDone();
    return n;
  }

  /** Copy up to `length` received bytes into `into`; returns the count (0: nothing yet). */
  read(into: Uint8Array, offset = 0, length = into.byteLength - offset): number {
    if (!(into instanceof Uint8Array)) throw new TLSError(TLS_BAD_ARGUMENT, "read wants a Uint8Array");
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > into.byteLength) {
      throw new TLSError(TLS_BAD_ARGUMENT, "read: offset/length outside the buffer");
    }
    this.#pull();
    const n = this.#rx.read(into, offset, length);
    if (n === 0 && length > 0) this.#throwIfDone();
    if (n > 0) {
      this.#pull();
      this.#touch();
    }
    return n;
  }

  /** Queue bytes for sending: returns how many the tx ring took (0 when full). */
  write(bytes: Uint8Array, offset = 0, length = bytes.byteLength - offset): number {
    if (!(bytes instanceof Uint8Array)) throw new TLSError(TLS_BAD_ARGUMENT, "write wants a Uint8Array");
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > bytes.byteLength) {
      throw new TLSError(TLS_BAD_ARGUMENT, "write: offset/length outside the buffer");
    }
    if (this.#error) throw this.#error;
    if (this.#state === "closed" || this.#peerClosed) throw new TLSError(TLS_CLOSED, "connection closed");
    const n = this.#tx.write(bytes, offset, length);
    this.#flush();
    return n;
  }

  /** Bytes the tx ring can still take. */
  get writable(): number { return this.#tx.free; }
  /** Bytes queued in the tx ring, not yet handed to the socket. */
  get pending(): number { return this.#tx.available; }

  /**
   * Resolve when something changes or after timeoutMs: the only call that waits. `until` narrows it: "readable"
   * (bytes to read), "writable" (room in the tx ring), "state" (only a change of state); a state change or the
   * timeout ends any wait. It resolves at once when what it waits for is already there.
   */
  wait(timeoutMs: number, until: WaitFor = "any"): Promise<WaitResult> {
    if (typeof timeoutMs !== "number" || !(timeoutMs >= 0)) {
      return Promise.reject(new TLSError(TLS_BAD_ARGUMENT, "wait wants a timeout in ms >= 0"));
    }
    if (until !== "any" && until !== "readable" && until !== "writable" && until !== "state") {
      return Promise.reject(new TLSError(TLS_BAD_ARGUMENT, `wait for "any", "readable", "writable" or "state", not ${String(until)}`));
    }
    if ((until === "any" || until === "readable") && this.#rx.available > 0) return Promise.resolve("readable");
    if (until === "writable" && this.#tx.free > 0 && this.#state === "open") return Promise.resolve("writable");
    if (this.#state === "closed" || this.#state === "failed" || this.#peerClosed) return Promise.resolve("state");
    const waiting = this.#waits.add(until, timeoutMs);
    return waiting ?? Promise.reject(new TLSError(TLS_BAD_ARGUMENT, `at most ${MAX_WAITERS} waits at once`));
  }

  close(): void {
    if (this.#state === "closed") return;
    this.#clearTimers();
    this.#closeSocket();
    if (this.#state !== "failed") this.#state = "closed";
    this.#wake("state");
  }

  #open(address: string) {
    this.#state = "connecting";
    const provider = this.#options.socket ?? { io: TLSSocket, TCP: { io: TCP } };
    const GuardedTCP = guardTCP(provider.TCP.io, (error) => this.#fail(this.#state === "open"
      ? new TLSError(TLS_CLOSED, `connection failed after the handshake; board: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`)
      : fromHandshakeFailure(error)), () => this.#state === "connecting", () => { this.#tcpConnected = true; });
    try {
      this.#socket = new provider.io({
        address,
        port: this.port,
        host: this.#options.serverName ?? this.host,
        secure: { certificate: this.#options.ca, verify: this.#options.verify !== false },
        TCP: { io: GuardedTCP },
        onReadable: (count: number) => this.#onReadable(count),
        onWritable: (count: number) => this.#onWritable(count),
        onError: () => this.#onError(),
      });
    } catch (error) {
      // The board registers the CA when the socket is made: a CA outside its dates (or a clock not set yet) throws
      // "date validation failed" here, before any connection; that is a certificate failure, not a connect one.
      const dates = error instanceof Error && error.message === "date validation failed";
      this.#fail(dates
        ? fromHandshakeFailure(error)
        : new TLSError(TLS_CONNECT_FAILED, `cannot open a socket to ${address}:${this.port}: ${String(error)}`));
    }
  }

  #onWritable(count: number) {
    if (this.#state === "connecting") {
      if (this.#connectTimer) Timer.clear(this.#connectTimer);
      this.#connectTimer = undefined;
      this.#state = "open";
      this.#touch();
      trace(`${this.#tag}: ${this.host}:${this.port} open\n`);
      this.#wake("state");
    }
    this.#socketWritable = count;
    this.#flush();
  }

  #onReadable(count: number) {
    this.#socketReadable = count;
    this.#pull();
  }

  #onError() {
    if (this.#state === "open") {
      // The board reports a close_notify and then the TCP's own close, each as onError(): the first one counts.
      if (this.#peerClosed) return;
      this.#peerClosed = true;
      trace(`${this.#tag}: ${this.host}:${this.port} closed or reset by peer\n`);
      this.#wake("state");
      this.#pull();
    } else if (this.#state === "connecting" || this.#state === "resolving") {
      this.#fail(new TLSError(TLS_CONNECT_FAILED,
        `connection to ${this.host}:${this.port} failed (refused, unreachable or closed during the handshake; the board gives no detail)`));
    }
  }

  /** Move bytes the socket holds into the rx ring while there is room (the socket keeps the rest). */
  #pull() {
    const socket = this.#socket;
    if (!socket || this.#state !== "open") return;
    const before = this.#rx.available;
    while (this.#socketReadable > 0 && this.#rx.free > 0) {
      const n = this.#rx.writeFrom((view) => socket.read(view), this.#socketReadable);
      if (n <= 0) break;
      this.#socketReadable -= n;
    }
    if (this.#rx.available > before) {
      this.#touch();
      this.#wake("readable");
    }
    if (this.#peerClosed && this.#socketReadable <= 0) {
      // Everything the peer sent is in the rx ring now: release the socket, keep the bytes readable.
      this.#clearTimers();
      this.#closeSocket();
      this.#state = "closed";
      this.#wake("state");
    }
  }

  /** Hand queued bytes to the socket, never more than it reported writable. */
  #flush() {
    const socket = this.#socket;
    if (!socket || this.#state !== "open" || this.#peerClosed) return;
    if (this.#socketWritable <= 0 || this.#tx.available === 0) return;
    // One write per report: the TLS record overhead of a second write could exceed what is left.
    let once = true;
    const freed = this.#tx.readTo((view) => {
      if (!once) return 0;
      once = false;
      socket.write(view);
      return view.byteLength;
    }, this.#socketWritable);
    // The socket reports its space again in onWritable once the bytes are on their way.
    this.#socketWritable = 0;
    if (freed > 0) {
      this.#touch();
      this.#wake("writable");
    }
  }

  #touch() {
    const idle = this.#options.idleTimeout ?? 0;
    if (idle <= 0 || this.#state !== "open") return;
    if (this.#idleTimer) Timer.schedule(this.#idleTimer, idle);
    else {
      this.#idleTimer = Timer.set(() => {
        this.#idleTimer = undefined;
        this.#fail(new TLSError(TLS_TIMEOUT, `no data either way for ${idle} ms`));
      }, idle);
    }
  }

  #fail(error: TLSError) {
    if (this.#state === "failed" || this.#state === "closed") return;
    this.#error = error;
    this.#state = "failed";
    trace(`${this.#tag}: ${this.host}:${this.port} ${error.code} ${error.message}\n`);
    this.#clearTimers();
    this.#closeSocket();
    this.#wake("state");
  }

  #throwIfDone() {
    if (this.#error) throw this.#error;
    if (this.#state === "closed") {
      throw new TLSError(TLS_CLOSED, this.#peerClosed
        ? "the peer closed or reset the connection (the board does not tell which); the bytes that arrived before it have been read"
        : "connection closed");
    }
  }

  #closeSocket() {
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return;
    try {
      socket.close();
    } catch {
      // already closed by the SDK after an error: nothing left to release
    }
  }

  #clearTimers() {
    if (this.#connectTimer) Timer.clear(this.#connectTimer);
    if (this.#idleTimer) Timer.clear(this.#idleTimer);
    this.#connectTimer = this.#idleTimer = undefined;
    this.#waits.stop();
  }

  /** End the waits `result` is for: a state change or the timeout ends any wait, "readable"/"writable" their own. */
  #wake(result: WaitResult) {
    this.#waits.wake(result);
  }
}

/** Start a connection; it opens in the background (see TLSConnection). Bad arguments throw TLS_BAD_ARGUMENT. */
export function connect(host: string, port: number, options?: ConnectOptions): TLSConnection {
  return new TLSConnection(host, port, options);
}
