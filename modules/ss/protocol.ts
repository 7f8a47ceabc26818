// The seam between a stream (modules/ss/stream.ts: states, retries, timeouts, the connection's pump) and its wire
// protocol (raw, h1, and mqtt once modules/mqtt is bound). lws keeps the same seam as a table of `ss_pcols`
// (lib/secure-streams/protocols/ss-*.c): each protocol turns its connection's events into the stream's states,
// rx and tx. Here a protocol is an object made once per stream by a ProtocolFactory; it never touches a socket,
// a timer or the owner's callbacks directly, only the Link its stream gives it. Binding a protocol is one entry in
// createContext({ protocols: { mqtt: factory } }) (modules/ss/ss.ts).
//
// A connection's life, as the stream drives it:
//   start(target)       a connection attempt begins (reset per-connection state)
//   open()              the transport is open (TLS handshake done)
//   received(buf, len)  bytes arrived: buf[0, len)
//   writable()          the transport has room, nothing is queued, and wantsWritable() said yes
//   closed()            the peer closed cleanly and every byte was received: null when that completes the
//                       protocol's exchange (h1: a body that runs to the end of the connection), else the reason
//                       the connection counts as lost
// Everything a protocol does goes through the Link, which judges states (ss/states), guards the owner's
// callbacks and applies their results; any Link call that returns false means "this connection (or the whole
// stream) is gone: return at once".
import type { StreamType } from "ss/policy";

/** What the owner's tx callback fills in: the payload length and flags (LWSSS_FLAG_SOM, _EOM, ...). */
export interface TxOut {
  len: number;
  flags: number;
}

/** Bytes of headroom before, and tailroom after, the owner's tx payload in Link.txFrame, for protocol framing
 * (an h1 chunk header and trailer). */
export const TX_HEADROOM = 8;
export const TX_TAILROOM = 8;

/** Where a connection goes, after ${metadata} substitution and URL parsing. */
export interface Target {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** h1: the request path, starting with "/". */
  readonly path: string;
}

export interface Link {
  /** "streamtype|serial", for log lines. */
  readonly tag: string;
  readonly type: StreamType;
  /** The stream's tx frame: the owner's LWS_SS_MTU payload bytes at TX_HEADROOM, framing room around them. */
  readonly txFrame: Uint8Array;
  /** The stream's rx buffer (what received() is given), for a zero-length rx. */
  readonly rxBuf: Uint8Array;
  /** The last state the owner was given (lws' prev_ss_state). */
  readonly lastState: number;
  /** CONNECTED was delivered on this connection and no DISCONNECTED since (lws' ss_dangling_connected). */
  readonly dangling: boolean;
  /** The owner asked for tx (requestTx) and has not been called for it since. */
  readonly txRequested: boolean;
  /** The length given to requestTxLen(), 0 when none (lws' writeable_len). */
  readonly writeableLen: number;
  log(line: string): void;
  /** Deliver a state to the owner, judged by lws' table. false: stop. */
  state(state: number): boolean;
  /** Deliver buf[0, len) to the owner's rx with flags. false: stop. */
  rx(buf: Uint8Array, len: number, flags: number): boolean;
  /** Take the owner's tx request (clears txRequested). */
  takeTxRequest(): void;
  /** Call the owner's tx for up to LWS_SS_MTU bytes at txFrame[TX_HEADROOM]; out gets len and flags. Returns
   * LWSSSSRET_OK, LWSSSSRET_TX_DONT_SEND, or a negative result (already acted on: stop). */
  tx(out: TxOut): number;
  /** Queue bytes[start, end) for the connection. They must stay untouched until taken: writable() is not
   * called again before that. One queue at a time. */
  send(bytes: Uint8Array, start: number, end: number): void;
  /** The connection carries a working exchange: reset the retry count (lws: retry = 0, SSSEQ_CONNECTED). */
  connected(): void;
  /** The exchange completed (lws' txn_ok): a close from now on is not retried. */
  transactionDone(): void;
  /** Cancel the owner's lws_ss_start_timeout() timer (lws does at a completed h1 transaction). */
  cancelTimeout(): void;
  /** Close the connection: an orderly end. */
  close(): void;
  /** The connection failed (a malformed response, a refused request): `reason` is logged; retryAfterMs raises
   * the next backoff delay (h1 Retry-After). */
  fail(reason: string, retryAfterMs?: number): void;
  /** The value the owner set for metadata item `index` of the stream type, or undefined. */
  metadata(index: number): string | undefined;
  /** A metadata value the peer sent (an h1 response header named by the policy). */
  peerMetadata(index: number, value: string): void;
  /** Service the connection soon (a promise job): the protocol has bytes for wantsWritable() / writable(). */
  kick(): void;
}

export interface Protocol {
  start(target: Target): void;
  open(): void;
  received(buf: Uint8Array, len: number): void;
  wantsWritable(): boolean;
  writable(): void;
  closed(): string | null;
  /** Optional (mqtt): the owner called requestTx(). true: the protocol serves it itself, connected or not (mqtt
   * takes the payload into its outbox at once); the stream then only connects if it has no connection. */
  requested?(): boolean;
  /** Optional: the connection the stream had is over (lost, closed, or dropped), whatever the reason. */
  ended?(): void;
  /** Optional: the stream is being destroyed; release what the protocol holds. */
  destroy?(): void;
}

export type ProtocolFactory = (link: Link) => Protocol;

/** What a stream needs of its connection: tls/client's TLSConnection has this shape, and so may a plain TCP one. */
export interface Transport {
  readonly state: "resolving" | "connecting" | "open" | "closed" | "failed";
  readonly error: { readonly code: string; readonly message: string } | undefined;
  /** Bytes the tx ring can still take. */
  readonly writable: number;
  read(into: Uint8Array, offset?: number, length?: number): number;
  write(bytes: Uint8Array, offset?: number, length?: number): number;
  /** `until` "state": only a change of state (or the timeout) ends it (a stream whose rx is paused). */
  wait(timeoutMs: number, until?: "any" | "state"): Promise<string>;
  close(): void;
}

/** The options a stream gives its connector (a subset of tls/client's ConnectOptions). */
export interface ConnectorOptions {
  ca?: ArrayBuffer;
  connectTimeout: number;
  idleTimeout: number;
  rxSize: number;
  txSize: number;
  tag: string;
}

/** Opens a connection in the background: tls/client's connect(), or a plain TCP one. Throws on bad arguments. */
export type Connector = (host: string, port: number, options: ConnectorOptions) => Transport;
