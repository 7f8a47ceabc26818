// One Secure Stream: the handle lws_ss_create() returns, its states, retries, timeout and connection. It follows
// lws v4.4.5's lib/secure-streams/secure-streams.c: the same state events in the same places, every one judged by
// ss/states (lws' lws_ss_check_next_state_ss) before the owner sees it, the same retry sequencing (lws' seqstate)
// and the same meaning for the callbacks' results. The wire protocol (raw, h1, later mqtt) is a Protocol behind a
// Link (ss/protocol); the connection is a Transport (tls/client's TLSConnection), driven by one pump per
// connection that waits on it with a timeout.
//
// What it owns, allocated once per stream: the tx frame the owner's tx callback fills (LWS_SS_MTU bytes plus
// framing room), the rx buffer received bytes are delivered from, and the protocol's own fixed buffers. Nothing
// grows per byte or per message; the connection's rings are tls/client's, made per connection.
//
// The results of the owner's callbacks, as lws documents them:
//   LWSSSSRET_OK             go on
//   LWSSSSRET_TX_DONT_SEND   (tx) send nothing this time; call again after the next requestTx()
//   LWSSSSRET_DISCONNECT_ME  close the connection; the stream lives on (and, as in lws, a stream type that is not
//                            opportunistic and has no completed transaction retries after its backoff)
//   LWSSSSRET_DESTROY_ME     destroy the stream (DISCONNECTED if it was connected, then DESTROYING)
// A callback that throws is logged and treated as DESTROY_ME: an exception never reaches the event loop (on a
// board that is a reboot). destroy() called from inside one of the stream's own callbacks (lws refuses that:
// "illegal destroy, return LWSSSSRET_DESTROY_ME instead") takes effect as soon as that callback returns.
//
// Where this differs from lws v4.4.5, deliberately:
//   - every connection attempt counts toward ALL_RETRIES_FAILED, also the first one from clientConnect() (lws
//     only from requestTx() and its own retries; after a failed lws_ss_client_connect() with no retries left it
//     stays UNREACHABLE);
//   - a retry emits POLL before CONNECTING only when lws' table allows it from the state the stream is in (lws
//     emits it always; its table refuses AUTH_FAILED -> POLL and ALL_RETRIES_FAILED -> POLL);
//   - a connection lost after CONNECTED always reports DISCONNECTED before its retry (lws' h1 retries without it),
//     and when the retries are exhausted right after a DISCONNECTED, ALL_RETRIES_FAILED is not sent (lws' table
//     has no DISCONNECTED -> ALL_RETRIES_FAILED and lws would destroy the stream): the stream stays DISCONNECTED,
//     logged, until requestTx() or clientConnect();
//   - a TLS certificate failure is AUTH_FAILED (lws reports every failed connect as UNREACHABLE);
//   - clientConnect() on a stream that has a connection does nothing (lws would open a second one).
import Timer from "timer";
import {
  LWSSSCS_UNSET, LWSSSCS_CREATING, LWSSSCS_DISCONNECTED, LWSSSCS_UNREACHABLE, LWSSSCS_AUTH_FAILED,
  LWSSSCS_CONNECTED, LWSSSCS_CONNECTING, LWSSSCS_DESTROYING, LWSSSCS_POLL, LWSSSCS_ALL_RETRIES_FAILED,
  LWSSSCS_TIMEOUT, LWSSSSRET_OK, LWSSSSRET_TX_DONT_SEND, LWSSSSRET_DISCONNECT_ME, LWSSSSRET_DESTROY_ME,
  LWS_SS_MTU, LWSSS_TIMEOUT_FROM_POLICY, stateName,
} from "ss/constants";
import { transition } from "ss/states";
import { retryDelay, type StreamType } from "ss/policy";
import {
  TX_HEADROOM, TX_TAILROOM, type Connector, type Link, type Protocol, type ProtocolFactory, type Target,
  type Transport, type TxOut,
} from "ss/protocol";

export type { TxOut } from "ss/protocol";

/** rx: buf[0, len) is the payload, valid only during the call (buf may be longer: use len). */
export type RxCallback<O> = (h: SecureStream<O>, buf: Uint8Array, len: number, flags: number) => number | void;
/** tx: fill buf (LWS_SS_MTU bytes) and set out.len and out.flags; return LWSSSSRET_OK to send, or
 * LWSSSSRET_TX_DONT_SEND. `ord` counts the stream's tx calls from 0. */
export type TxCallback<O> = (h: SecureStream<O>, ord: number, buf: Uint8Array, out: TxOut) => number | void;
/** state: `hSrc` is always null (lws passes a handle only for sinks); `ack` is lws' (0 here). */
export type StateCallback<O> = (h: SecureStream<O>, hSrc: null, state: number, ack: number) => number | void;

/** lws_ss_info_t in TypeScript: the stream type's name in the policy, the callbacks, the creation flags. */
export interface StreamInfo<O> {
  streamtype: string;
  rx?: RxCallback<O>;
  tx?: TxCallback<O>;
  state?: StateCallback<O>;
  /** LWSSSINFLAGS_*: none is supported here (sinks, servers and proxies are not), so 0. */
  flags?: number;
}

/** What a context gives each of its streams. */
export interface Env {
  log(line: string): void;
  /** The protocol factory for the stream type's protocol (checked at create). */
  protocol: ProtocolFactory;
  /** Connectors: tls (tls/client) and, if bound, plain tcp. */
  tls: Connector;
  tcp: Connector | undefined;
  /** The CA for a tls connection of this stream type (its trust store's, or the context's). */
  ca: ArrayBuffer | undefined;
  connectTimeoutMs: number;
  /** No byte either way for this long closes an h1 connection (lws: 30 s); raw streams have none. */
  idleTimeoutMs: number;
  rxSize: number;
  txSize: number;
  maxMetadataLength: number;
  random16: (() => number) | undefined;
  /** The stream is gone: the context forgets it. */
  released(h: SecureStream<any>): void;
}

// lws' seqstate: where the stream is in its connect / retry sequence.
const SEQ_IDLE = 0;
const SEQ_TRY_CONNECT = 1;
const SEQ_RECONNECT_WAIT = 2;
const SEQ_DO_RETRY = 3;
const SEQ_CONNECTED = 4;

/** How long the pump waits on a connection before it looks again anyway. */
const PUMP_WAIT_MS = 10000;
/** Owner tx calls in one service pass, at most (the connection's tx ring normally stops it far sooner). */
const TX_CALLS_PER_PASS = 32;

const AUTH_CODES = ["TLS_CERT_UNTRUSTED", "TLS_CERT_EXPIRED", "TLS_CERT_CHAIN"];

type TimerID = ReturnType<typeof Timer.set>;

function describe(error: unknown): string {
  if (error && typeof error === "object" && "code" in error && "message" in error) {
    return `${String((error as { code: unknown }).code)} ${String((error as { message: unknown }).message)}`;
  }
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

let serial = 0;

export class SecureStream<O = unknown> {
  /** The opaque user data given to create() (lws_ss_to_user_object). */
  readonly opaque: O;
  /** The stream type's policy. */
  readonly policy: StreamType;
  /** "streamtype|serial", as log lines name the stream. */
  readonly tag: string;

  readonly #env: Env;
  #rxCb: RxCallback<O> | undefined;
  #txCb: TxCallback<O> | undefined;
  #stateCb: StateCallback<O> | undefined;
  readonly #protocol: Protocol;
  readonly #link: Link;

  #state = LWSSSCS_UNSET;
  #seq = SEQ_IDLE;
  #tries = 0;
  #dangling = false;
  #txnOk = false;
  #destroyed = false;
  #destroyPending = false;
  #depth = 0;

  #conn: Transport | undefined;
  #opened = false;
  #servicing = false;
  /** rxFlow(false) was called: the connection is not read. */
  #rxPaused = false;
  /** Pumps started on this stream (a pump whose number is not the last ends at its next turn). */
  #pumps = 0;
  #again = false;
  #txPending = false;
  #writeableLen = 0;
  #txOrd = 0;
  #retryAfterMs = 0;

  readonly #txFrame: Uint8Array;
  readonly #txPayload: Uint8Array;
  readonly #rxBuf: Uint8Array;
  #stage: Uint8Array | undefined;
  #stageAt = 0;
  #stageEnd = 0;

  #retryTimer: TimerID | undefined;
  #timeoutTimer: TimerID | undefined;
  #kickScheduled = false;
  readonly #kickJob: () => void;
  readonly #retryJob: () => void;
  readonly #timeoutJob: () => void;

  readonly #metadata: (string | undefined)[];

  private constructor(env: Env, type: StreamType, info: StreamInfo<O>, opaque: O) {
    this.#env = env;
    this.policy = type;
    this.opaque = opaque;
    this.tag = `${type.name}|${++serial}`;
    this.#rxCb = info.rx;
    this.#txCb = info.tx;
    this.#stateCb = info.state;
    this.#txFrame = new Uint8Array(TX_HEADROOM + LWS_SS_MTU + TX_TAILROOM);
    this.#txPayload = this.#txFrame.subarray(TX_HEADROOM, TX_HEADROOM + LWS_SS_MTU);
    this.#rxBuf = new Uint8Array(LWS_SS_MTU);
    this.#metadata = new Array<string | undefined>(type.metadata.length).fill(undefined);
    this.#kickJob = () => this.#kicked();
    this.#retryJob = () => this.#retryFired();
    this.#timeoutJob = () => this.#timeoutFired();
    this.#link = new SecureStream.#Link(this);
    this.#protocol = env.protocol(this.#link);
  }

  /** Used by Context.create(): the stream, its CREATING delivered, and connected if its type is nailed_up. */
  static create<O>(env: Env, type: StreamType, info: StreamInfo<O>, opaque: O): SecureStream<O> | string {
    const h = new SecureStream<O>(env, type, info, opaque);
    let r = h.#event(LWSSSCS_CREATING);
    if (r === LWSSSSRET_DESTROY_ME || h.#gone) {
      h.#destroyNow();
      return `the CREATING state callback refused stream type "${type.name}"`;
    }
    if (type.nailedUp) {
      h.#seq = SEQ_TRY_CONNECT;
      r = h.#connect(false);
      if (r === LWSSSSRET_DESTROY_ME || h.#gone) {
        h.#destroyNow();
        return `stream type "${type.name}" was destroyed while connecting`;
      }
    }
    return h;
  }

  // ---- The lws API -------------------------------------------------------------------------------------------

  /** The last state the owner was given (lws' prev_ss_state; 0 before CREATING). */
  get state(): number { return this.#state; }
  /** Whether destroy() has run (or will, once the running callback returns). */
  get destroyed(): boolean { return this.#gone; }

  /** lws_ss_destroy(): close the connection, DISCONNECTED if connected, DESTROYING; the handle is dead after. */
  destroy(): void {
    if (this.#destroyed) return;
    if (this.#depth > 0) {
      this.#destroyPending = true;
      return;
    }
    this.#destroyNow();
  }

  /** lws_ss_request_tx(): the owner's tx will be called when the stream can send, connecting first if it has no
   * connection (POLL, then CONNECTING). Returns LWSSSSRET_OK, or the result of a state callback on the way. */
  requestTx(): number {
    if (this.#gone) return LWSSSSRET_TX_DONT_SEND;
    const protocol = this.#protocol;
    if (protocol.requested && protocol.requested()) {
      if (this.#conn || this.#seq !== SEQ_IDLE || this.#gone) return this.#gone ? LWSSSSRET_DESTROY_ME : LWSSSSRET_OK;
      return this.#public(this.#requestTx());
    }
    this.#txPending = true;
    if (this.#conn) {
      this.#kick();
      return LWSSSSRET_OK;
    }
    return this.#public(this.#requestTx());
  }

  /** lws_ss_request_tx_len(): requestTx() for a payload of `len` bytes (h1: the body's Content-Length). */
  requestTxLen(len: number): number {
    if (this.#gone) return LWSSSSRET_TX_DONT_SEND;
    if (!Number.isInteger(len) || len < 0 || len > 0xffffffff) {
      this.#log(`requestTxLen(${String(len)}): not a length; ignored`);
      return LWSSSSRET_TX_DONT_SEND;
    }
    this.#writeableLen = len;
    return this.requestTx();
  }

  /** lws_ss_client_connect(): connect now (CONNECTING). Returns 0 when under way, nonzero when it already failed. */
  clientConnect(): number {
    if (this.#gone) return LWSSSSRET_TX_DONT_SEND;
    if (this.#conn) return LWSSSSRET_OK;
    this.#clearRetryTimer();
    this.#seq = SEQ_TRY_CONNECT;
    return this.#public(this.#connect(false));
  }

  /** lws_ss_start_timeout(): LWSSSCS_TIMEOUT after `timeoutMs` (LWSSS_TIMEOUT_FROM_POLICY: the type's timeout_ms)
   * unless cancelTimeout() comes first. Starting it again restarts it. Nothing happens when both are 0. */
  startTimeout(timeoutMs: number = LWSSS_TIMEOUT_FROM_POLICY): void {
    if (this.#gone) return;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0) {
      this.#log(`startTimeout(${String(timeoutMs)}): not a timeout; ignored`);
      return;
    }
    const ms = timeoutMs !== LWSSS_TIMEOUT_FROM_POLICY ? timeoutMs : this.policy.timeoutMs;
    if (ms === 0) return;
    this.cancelTimeout();
    this.#timeoutTimer = Timer.set(this.#timeoutJob, ms);
  }

  /** lws_ss_cancel_timeout(). */
  cancelTimeout(): void {
    if (this.#timeoutTimer !== undefined) Timer.clear(this.#timeoutTimer);
    this.#timeoutTimer = undefined;
  }

  /** lws_ss_set_metadata(): set a metadata item the stream type declares (used for ${name} in the endpoint and
   * URL at the next connection, and as an h1 header when the policy names one). false: no such item, or a value
   * with control characters or longer than the context allows. */
  setMetadata(name: string, value: string): boolean {
    if (this.#gone) return false;
    const i = this.#metadataIndex(name);
    if (i < 0) {
      this.#log(`setMetadata("${String(name)}"): stream type ${this.policy.name} declares no such metadata`);
      return false;
    }
    if (typeof value !== "string" || value.length > this.#env.maxMetadataLength) {
      this.#log(`setMetadata("${name}"): the value must be a string of at most ${this.#env.maxMetadataLength} characters`);
      return false;
    }
    for (let k = 0; k < value.length; k++) {
      const c = value.charCodeAt(k);
      if (c < 0x20 || c === 0x7f) {
        this.#log(`setMetadata("${name}"): the value holds a control character`);
        return false;
      }
    }
    this.#metadata[i] = value;
    return true;
  }

  /** lws_ss_get_metadata(): the item's value (set by setMetadata, or by the peer: an h1 response header the
   * policy names); "" when it has none yet; undefined when the stream type declares no such item. */
  getMetadata(name: string): string | undefined {
    const i = this.#metadataIndex(name);
    if (i < 0) return undefined;
    return this.#metadata[i] ?? "";
  }

  /** lws_ss_add_peer_tx_credit(): flow credit exists for h2 and the proxy link only; raw and h1 have none (0). */
  addPeerTxCredit(_add: number): number { return 0; }
  /** lws_ss_get_est_peer_tx_credit(): 0 for raw and h1, as in lws. */
  getEstPeerTxCredit(): number { return 0; }

  /** lws_ss_change_handlers(): replace the callbacks; one given as undefined or null is left as it was. */
  changeHandlers(rx?: RxCallback<O> | null, tx?: TxCallback<O> | null, state?: StateCallback<O> | null): void {
    if (rx) this.#rxCb = rx;
    if (tx) this.#txCb = tx;
    if (state) this.#stateCb = state;
  }

  /** lws_ss_state_name(). */
  static stateName(state: number): string { return stateName(state); }

  // ---- States and callbacks ----------------------------------------------------------------------------------

  get #gone(): boolean { return this.#destroyed || this.#destroyPending; }

  #log(line: string): void {
    this.#env.log(`ss: ${this.tag}: ${line}`);
  }

  /** lws_ss_event_helper(): judge the move, keep the state, tell the owner; the owner's result. */
  #event(cs: number, ack = 0): number {
    const judged = transition(this.#state, cs, "ss");
    if (!judged.ok) {
      this.#log(`${judged.message}: destroying the stream`);
      this.#destroyPending = true;
      if (this.#depth === 0) this.#destroyNow();
      return LWSSSSRET_DESTROY_ME;
    }
    this.#state = judged.state;
    if (cs === LWSSSCS_CONNECTED) this.#dangling = true;
    else if (cs === LWSSSCS_DISCONNECTED) {
      this.#dangling = false;
      this.#txnOk = false;
    }
    const callback = this.#stateCb;
    if (!callback) return LWSSSSRET_OK;
    this.#depth++;
    let r: unknown;
    try {
      r = callback(this, null, cs, ack);
    } catch (error) {
      r = this.#threw("state", error);
    }
    return this.#returned(r);
  }

  #threw(which: string, error: unknown): number {
    this.#log(`the ${which} callback threw ${describe(error)}: destroying the stream`);
    this.#destroyPending = true;
    return LWSSSSRET_DESTROY_ME;
  }

  /** After a callback: a destroy asked for inside it happens now; the result, DESTROY_ME if the stream is gone. */
  #returned(r: unknown): number {
    if (--this.#depth === 0 && this.#destroyPending && !this.#destroyed) this.#destroyNow();
    if (this.#gone) return LWSSSSRET_DESTROY_ME;
    if (r === LWSSSSRET_DISCONNECT_ME || r === LWSSSSRET_DESTROY_ME || r === LWSSSSRET_TX_DONT_SEND) return r;
    return LWSSSSRET_OK;
  }

  /** What lws' _lws_ss_handle_state_ret_CAN_DESTROY_HANDLE does with a result: destroy, or drop the connection. */
  #apply(r: number): void {
    if (r === LWSSSSRET_DESTROY_ME) this.destroy();
    else if (r === LWSSSSRET_DISCONNECT_ME && this.#conn) this.#closed(this.#conn, "local", "the owner asked to disconnect");
  }

  /** A result an API call returns to the owner: DESTROY_ME is acted on here too (destroy is idempotent). */
  #public(r: number): number {
    if (r === LWSSSSRET_DESTROY_ME) this.destroy();
    return r;
  }

  #destroyNow(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#destroyPending = false;
    this.#clearRetryTimer();
    this.cancelTimeout();
    const conn = this.#conn;
    this.#conn = undefined;
    this.#stage = undefined;
    if (conn) conn.close();
    if (conn && this.#protocol.ended) this.#protocol.ended();
    if (this.#protocol.destroy) this.#protocol.destroy();
    if (this.#state !== LWSSSCS_UNSET) {
      // lws_ss_destroy(): results are ignored from here on
      if (this.#dangling) this.#event(LWSSSCS_DISCONNECTED);
      this.#event(LWSSSCS_DESTROYING);
    }
    this.#env.released(this);
  }

  // ---- Connecting, retrying, timing out ----------------------------------------------------------------------

  /** lws' _lws_ss_request_tx() with no connection: POLL, then connect (a retry keeps its count). */
  #requestTx(): number {
    if (this.#seq !== SEQ_IDLE && this.#seq !== SEQ_DO_RETRY) return LWSSSSRET_OK;
    this.#seq = SEQ_TRY_CONNECT;
    if (this.#state !== LWSSSCS_POLL && transition(this.#state, LWSSSCS_POLL).ok) {
      const r = this.#event(LWSSSCS_POLL);
      if (r < 0) {
        this.#seq = SEQ_IDLE;
        return r;
      }
    }
    const r = this.#connect(true);
    if (r === LWSSSSRET_DESTROY_ME) return r;
    if (r !== LWSSSSRET_OK) return this.#backoff();
    return LWSSSSRET_OK;
  }

  /** lws' _lws_ss_client_connect(): CONNECTING, then the connection opens in the background. */
  #connect(isRetry: boolean): number {
    if (!isRetry) this.#tries = 0;
    this.#txnOk = false;
    const r = this.#event(LWSSSCS_CONNECTING);
    if (r < 0 || this.#gone) {
      this.#seq = SEQ_IDLE;
      return this.#gone ? LWSSSSRET_DESTROY_ME : r;
    }
    const target = this.#target();
    if (typeof target === "string") return this.#connectFailedAtOnce(target);
    const env = this.#env;
    const connector = target.tls ? env.tls : env.tcp;
    if (!connector) return this.#connectFailedAtOnce(`${target.host}:${target.port} needs plain TCP, and none is bound`);
    if (target.tls && !env.ca) return this.#connectFailedAtOnce(`no CA to verify ${target.host} with`);
    let conn: Transport;
    try {
      conn = connector(target.host, target.port, {
        ca: env.ca,
        connectTimeout: env.connectTimeoutMs,
        idleTimeout: this.policy.protocol === "h1" ? env.idleTimeoutMs : 0,
        rxSize: env.rxSize,
        txSize: env.txSize,
        tag: `ss: ${this.tag}`,
      });
    } catch (error) {
      return this.#connectFailedAtOnce(describe(error));
    }
    this.#conn = conn;
    this.#opened = false;
    this.#stage = undefined;
    this.#protocol.start(target);
    void this.#pump(conn);
    return LWSSSSRET_OK;
  }

  /** No connection could even be started: UNREACHABLE and the backoff, as lws does when it gets no wsi. */
  #connectFailedAtOnce(reason: string): number {
    this.#log(`cannot connect: ${reason}`);
    let r = this.#event(LWSSSCS_UNREACHABLE);
    if (r < 0) return r;
    r = this.#backoff();
    if (r < 0) return r;
    return LWSSSSRET_TX_DONT_SEND;
  }

  /** Endpoint and URL with ${metadata} substituted; a URL endpoint ("https://host:port/path") overrides the
   * policy's port, tls and http_url as in lws. A string is why it cannot be used. */
  #target(): Target | string {
    const type = this.policy;
    const endpoint = this.#expand(type.endpoint);
    let host = endpoint, port = type.port, tls = type.tls, path = "";
    const scheme = endpoint.indexOf("://");
    if (scheme > 0) {
      const protocol = endpoint.slice(0, scheme).toLowerCase();
      let rest = endpoint.slice(scheme + 3);
      const slash = rest.indexOf("/");
      if (slash >= 0) {
        path = rest.slice(slash);
        rest = rest.slice(0, slash);
      }
      if (protocol === "http" || protocol === "ws" || protocol === "mqtt") tls = false;
      else if (protocol === "https" || protocol === "wss" || protocol === "mqtts") tls = true;
      port = protocol === "http" || protocol === "ws" ? 80 : protocol === "mqtt" ? 1883 : protocol === "mqtts" ? 8883 : 443;
      const colon = rest.lastIndexOf(":");
      if (colon >= 0) {
        port = Number(rest.slice(colon + 1));
        rest = rest.slice(0, colon);
      }
      host = rest;
    }
    if (host.length === 0) return `the endpoint "${endpoint}" names no host`;
    if (!Number.isInteger(port) || port < 1 || port > 65535) return `the endpoint "${endpoint}" names no port`;
    if (type.http) {
      let url = path.length > 0 ? path : this.#expand(type.http.url);
      if (url.charCodeAt(0) === 0x2f) url = url.slice(1); // lws: "skip the unnecessary '/'"
      path = `/${url}`;
      for (let i = 0; i < path.length; i++) {
        const c = path.charCodeAt(i);
        if (c <= 0x20 || c === 0x7f) return `the URL path "${path}" holds a space or a control character`;
      }
    }
    return { host, port, tls, path };
  }

  /** `template` with each ${name} replaced by that metadata item's value ("" when unset); the policy checked the
   * names when it loaded. */
  #expand(template: string): string {
    let at = template.indexOf("${");
    if (at < 0) return template;
    let out = "", from = 0;
    while (at >= 0) {
      const end = template.indexOf("}", at + 2);
      if (end < 0) break;
      out += template.slice(from, at);
      const i = this.#metadataIndex(template.slice(at + 2, end));
      out += i >= 0 ? this.#metadata[i] ?? "" : "";
      from = end + 1;
      at = template.indexOf("${", from);
    }
    return out + template.slice(from);
  }

  /** lws' _lws_ss_backoff(): schedule the next retry from the policy's table, or give up: ALL_RETRIES_FAILED. */
  #backoff(): number {
    if (this.#seq === SEQ_RECONNECT_WAIT) return LWSSSSRET_OK;
    const step = retryDelay(this.policy.retry, this.#tries, this.#env.random16?.());
    this.#tries = step.tries;
    const least = this.#retryAfterMs;
    this.#retryAfterMs = 0;
    if (!step.conceal) {
      if (this.#seq === SEQ_IDLE) return LWSSSSRET_OK; // lws: been here
      this.#seq = SEQ_IDLE;
      if (!transition(this.#state, LWSSSCS_ALL_RETRIES_FAILED).ok) {
        this.#log(`retries exhausted after ${step.tries} tries; it stays ${stateName(this.#state)} (lws' table has no ` +
          `${stateName(this.#state)} -> LWSSSCS_ALL_RETRIES_FAILED) until requestTx() or clientConnect()`);
        return LWSSSSRET_OK;
      }
      this.#log(`all retries failed (${step.tries} tries)`);
      return this.#event(LWSSSCS_ALL_RETRIES_FAILED);
    }
    const delay = step.delayMs > least ? step.delayMs : least;
    this.#seq = SEQ_RECONNECT_WAIT;
    this.#clearRetryTimer();
    this.#retryTimer = Timer.set(this.#retryJob, delay);
    this.#log(`retry ${step.tries} in ${delay} ms`);
    return LWSSSSRET_OK;
  }

  #retryFired(): void {
    this.#retryTimer = undefined;
    if (this.#gone || this.#seq !== SEQ_RECONNECT_WAIT) return;
    this.#seq = SEQ_DO_RETRY;
    try {
      this.#apply(this.#requestTx());
    } catch (error) {
      this.#internal(error);
    }
  }

  /** What no timer or promise job may let escape to the event loop (a board would reboot): logged, destroyed. */
  #internal(error: unknown): void {
    this.#log(`internal error ${describe(error)}: destroying the stream`);
    this.destroy();
  }

  #clearRetryTimer(): void {
    if (this.#retryTimer !== undefined) Timer.clear(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /** lws_ss_to_cb(): TIMEOUT; DISCONNECT_ME drops the connection, DESTROY_ME destroys the stream. */
  #timeoutFired(): void {
    this.#timeoutTimer = undefined;
    if (this.#gone) return;
    try {
      const r = this.#event(LWSSSCS_TIMEOUT);
      if (r === LWSSSSRET_DISCONNECT_ME || r === LWSSSSRET_DESTROY_ME) this.#apply(r); // as lws_ss_to_cb()
    } catch (error) {
      this.#internal(error);
    }
  }

  #metadataIndex(name: string): number {
    const items = this.policy.metadata;
    for (let i = 0; i < items.length; i++) if (items[i]!.name === name) return i;
    return -1;
  }

  // ---- The connection ----------------------------------------------------------------------------------------

  /** Run the protocol over `conn` until the stream moves on from it: service, wait, service... */
  async #pump(conn: Transport): Promise<void> {
    const generation = ++this.#pumps;
    try {
      while (this.#conn === conn && !this.#gone && generation === this.#pumps) {
        this.#service();
        if (this.#conn !== conn || this.#gone) return;
        // rx paused: bytes may wait to be read, so only a change of state wakes the pump (tx is kicked, not pumped);
        // rxFlow(true) starts a new pump, and this one ends when its wait does
        await conn.wait(PUMP_WAIT_MS, this.#rxPaused ? "state" : "any");
      }
    } catch (error) {
      this.#internal(error);
    }
  }

  /**
   * Not lws API: what lws' proxy does with lws_rx_flow_control() on a stream's connection (proxy.c, when its
   * buffer for the client passes the policy's proxy_buflen_rxflow_on_above). false: stop reading the connection
   * (its rx ring fills, then the transport stops reading the socket: the peer is pushed back); true: read again.
   */
  rxFlow(allow: boolean): void {
    if (this.#gone || allow === !this.#rxPaused) return;
    this.#rxPaused = !allow;
    const conn = this.#conn;
    if (allow && conn) void this.#pump(conn); // the old pump waits for room to write only; this one reads
  }

  /** Soon (a promise job, never inside the caller): service the connection, or start one for a pending tx. */
  #kick(): void {
    if (this.#kickScheduled || this.#gone) return;
    this.#kickScheduled = true;
    Promise.resolve().then(this.#kickJob);
  }

  #kicked(): void {
    this.#kickScheduled = false;
    if (this.#gone) return;
    if (this.#conn) this.#service();
    else if (this.#txPending && this.#seq === SEQ_IDLE) {
      try {
        this.#apply(this.#requestTx());
      } catch (error) {
        this.#internal(error);
      }
    }
  }

  #service(): void {
    const conn = this.#conn;
    if (!conn || this.#gone) return;
    if (this.#servicing) {
      this.#again = true;
      return;
    }
    this.#servicing = true;
    try {
      do {
        this.#again = false;
        this.#serviceOnce(conn);
      } while (this.#again && this.#conn === conn && !this.#gone);
    } catch (error) {
      this.#internal(error);
    } finally {
      this.#servicing = false;
    }
  }

  #serviceOnce(conn: Transport): void {
    if (!this.#opened) {
      const state = conn.state;
      if (state === "failed") {
        const error = conn.error;
        const code = error ? error.code : "";
        this.#closed(conn, AUTH_CODES.indexOf(code) >= 0 ? "auth" : "unreachable", describe(error));
        return;
      }
      if (state !== "open" && state !== "closed") return; // still resolving or connecting
      this.#opened = true;
      this.#protocol.open();
      if (this.#conn !== conn || this.#gone) return;
    }
    let ended: unknown;
    const rx = this.#rxBuf;
    while (!this.#rxPaused) {
      let n: number;
      try {
        n = conn.read(rx, 0, rx.length);
      } catch (error) {
        ended = error;
        break;
      }
      if (n === 0) break;
      this.#protocol.received(rx, n);
      if (this.#conn !== conn || this.#gone) return;
    }
    if (ended === undefined) {
      try {
        this.#write(conn);
      } catch (error) {
        ended = error;
      }
      if (this.#conn !== conn || this.#gone) return;
    }
    if (ended === undefined) return;
    if (conn.state === "closed") {
      // The peer closed and every byte it sent has been delivered.
      const reason = this.#protocol.closed();
      if (this.#conn !== conn || this.#gone) return;
      if (reason === null) this.#closed(conn, "local", "");
      else this.#closed(conn, "lost", reason);
    } else this.#closed(conn, "lost", describe(ended));
  }

  /** Move queued bytes into the connection; while it has room and nothing is queued, let the protocol send. */
  #write(conn: Transport): void {
    for (let calls = 0; ;) {
      const stage = this.#stage;
      if (stage) {
        this.#stageAt += conn.write(stage, this.#stageAt, this.#stageEnd - this.#stageAt);
        if (this.#stageAt < this.#stageEnd) return; // the connection's tx ring is full: it wakes the pump
        this.#stage = undefined;
      }
      if (conn.writable === 0 || !this.#protocol.wantsWritable()) return;
      if (calls++ === TX_CALLS_PER_PASS) {
        this.#kick();
        return;
      }
      this.#protocol.writable();
      if (this.#conn !== conn || this.#gone) return;
    }
  }

  /**
   * The connection is over: `kind` says how. Like lws' CLIENT_CONNECTION_ERROR, RAW_CLOSE and CLOSED_CLIENT_HTTP:
   * a stream that was CONNECTED gets DISCONNECTED and retries unless its transaction completed or its type is
   * opportunistic; one that never got there gets AUTH_FAILED (a certificate) or UNREACHABLE and retries.
   */
  #closed(conn: Transport, kind: "auth" | "unreachable" | "lost" | "local", reason: string): void {
    if (this.#conn !== conn) return;
    this.#conn = undefined;
    this.#stage = undefined;
    conn.close();
    if (this.#protocol.ended) this.#protocol.ended();
    const opened = this.#opened;
    this.#opened = false;
    // A tx request made while this connection was open belonged to it, as lws' lws_callback_on_writable() on a
    // wsi does: it ends with it (lws' http-post example asks for tx again at CONNECTED, after its body went out).
    // One made from here on, or before the connection opened, starts the next connection.
    if (opened) this.#txPending = false;
    if (kind === "auth") this.#log(`certificate refused: ${reason}`);
    else if (kind === "unreachable") this.#log(`connect failed: ${reason}`);
    else if (reason.length > 0) this.#log(`connection lost: ${reason}`);
    if (opened) this.cancelTimeout(); // lws cancels the owner's timeout when a connection that opened closes
    let r: number;
    if (this.#dangling) {
      const retry = !this.#txnOk && !this.policy.opportunistic;
      r = this.#event(LWSSSCS_DISCONNECTED);
      if (r === LWSSSSRET_DESTROY_ME) return this.#apply(r);
      if (retry) r = this.#backoff();
      else {
        this.#seq = SEQ_IDLE;
        r = LWSSSSRET_OK;
      }
    } else {
      r = this.#event(kind === "auth" ? LWSSSCS_AUTH_FAILED : LWSSSCS_UNREACHABLE);
      if (r === LWSSSSRET_DESTROY_ME) return this.#apply(r);
      r = this.#backoff();
    }
    this.#apply(r);
    if (!this.#gone && !this.#conn && this.#txPending && this.#seq === SEQ_IDLE) this.#kick();
  }

  // ---- The protocol's view -----------------------------------------------------------------------------------

  // One per stream, its methods shared on the prototype (a closure per method per stream would cost a few
  // hundred heap slots each). Nested in the class body, so it may use the stream's private members; every method
  // checks that the connection it was called for is still the stream's.
  static readonly #Link = class implements Link {
    readonly #h: SecureStream<any>;
    readonly tag: string;
    readonly type: StreamType;
    readonly txFrame: Uint8Array;
    readonly rxBuf: Uint8Array;

    constructor(h: SecureStream<any>) {
      this.#h = h;
      this.tag = h.tag;
      this.type = h.policy;
      this.txFrame = h.#txFrame;
      this.rxBuf = h.#rxBuf;
    }

    get lastState(): number { return this.#h.#state; }
    get dangling(): boolean { return this.#h.#dangling; }
    get txRequested(): boolean { return this.#h.#txPending; }
    get writeableLen(): number { return this.#h.#writeableLen; }

    log(line: string): void { this.#h.#log(line); }

    state(state: number): boolean {
      const h = this.#h;
      const conn = h.#conn;
      h.#apply(h.#event(state));
      return h.#conn === conn && conn !== undefined && !h.#gone;
    }

    rx(buf: Uint8Array, len: number, flags: number): boolean {
      const h = this.#h;
      const conn = h.#conn;
      const callback = h.#rxCb;
      if (callback) {
        h.#depth++;
        let r: unknown;
        try {
          r = callback(h, buf, len, flags);
        } catch (error) {
          r = h.#threw("rx", error);
        }
        h.#apply(h.#returned(r));
      }
      return h.#conn === conn && conn !== undefined && !h.#gone;
    }

    takeTxRequest(): void { this.#h.#txPending = false; }

    tx(out: TxOut): number {
      const h = this.#h;
      const conn = h.#conn;
      const callback = h.#txCb;
      if (!callback) return LWSSSSRET_TX_DONT_SEND;
      out.len = LWS_SS_MTU;
      out.flags = 0;
      h.#depth++;
      let r: unknown;
      try {
        r = callback(h, h.#txOrd++, h.#txPayload, out);
      } catch (error) {
        r = h.#threw("tx", error);
      }
      let result = h.#returned(r);
      if (result === LWSSSSRET_OK && !(Number.isInteger(out.len) && out.len >= 0 && out.len <= LWS_SS_MTU)) {
        h.#log(`the tx callback gave len ${String(out.len)} (0-${LWS_SS_MTU}): disconnecting`);
        result = LWSSSSRET_DISCONNECT_ME;
      }
      if (result < 0) {
        h.#apply(result);
        return result;
      }
      if (h.#conn !== conn || h.#gone) return LWSSSSRET_DESTROY_ME;
      if (!Number.isInteger(out.flags)) out.flags = 0;
      return result;
    }

    send(bytes: Uint8Array, start: number, end: number): void {
      const h = this.#h;
      if (h.#stage) throw new Error("ss: a protocol sent while bytes were still queued");
      h.#stage = bytes;
      h.#stageAt = start;
      h.#stageEnd = end;
    }

    connected(): void {
      const h = this.#h;
      h.#tries = 0;
      h.#seq = SEQ_CONNECTED;
      h.#clearRetryTimer();
    }

    transactionDone(): void {
      this.#h.#txnOk = true;
      this.#h.#writeableLen = 0;
    }

    cancelTimeout(): void { this.#h.cancelTimeout(); }

    close(): void {
      const h = this.#h;
      const conn = h.#conn;
      if (conn) h.#closed(conn, "local", "");
    }

    fail(reason: string, retryAfterMs = 0): void {
      const h = this.#h;
      const conn = h.#conn;
      if (!conn) return;
      if (retryAfterMs > 0) h.#retryAfterMs = retryAfterMs;
      h.#closed(conn, "lost", reason);
    }

    metadata(index: number): string | undefined { return this.#h.#metadata[index]; }

    kick(): void { this.#h.#kick(); }

    peerMetadata(index: number, value: string): void {
      const h = this.#h;
      if (index < 0 || index >= h.#metadata.length) return;
      const max = h.#env.maxMetadataLength;
      h.#metadata[index] = value.length > max ? value.slice(0, max) : value;
    }
  };
}
