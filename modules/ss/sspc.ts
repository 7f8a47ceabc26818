// The proxied Secure Streams client (lws' lib/secure-streams/serialized/client, "sspc", v4.4.5): the same API and
// callbacks as ss (create(info, opaque) -> a handle with requestTx, clientConnect, setMetadata, ...), but the stream
// runs at a proxy (ss/proxy, or lws' own) reached over TCP (or, in the simulator, a unix socket `path`); this side
// has no policy, no TLS, no endpoints. openContext(config) picks local or proxied by configuration only: `{ policy }`
// or `{ proxy: { address, port } }`; both give an AppContext whose handles (Handle) take the same callbacks.
// `{ proxy: { mux } }` runs every stream as a channel of one link instead (ss/mux: lws' transport mux, a UART on a
// board): the same frames inside the channel, the same states; a channel is opened as a TCP connection would be.
//
// Each stream is one link to the proxy (lws: one connection per client stream; or one mux channel). Link states,
// lws' LPCSCLI_*: SENDING_INITIAL_TX (connecting, then STREAMTYPE) -> WAITING_CREATE_RESULT -> LOCAL_CONNECTED
// (create ok; metadata set so far goes out) -> ONWARD_CONNECT (ONWARD_CONNECT sent, at the app's clientConnect() or requestTx()) ->
// OPERATIONAL (the proxy said CONNECTED). The app's states are the proxy's CONNSTATE numbers, judged by lws'
// "sspc" checker (ss/states) before the app sees them; CREATING comes once (a re-created stream after a link
// retry does not repeat it). When the link is lost the app gets DISCONNECTED (if it was connected), the link is
// retried every `retryMs` (lws: 1 s), and the stream is created again at the proxy; a tx requested meanwhile, or
// after, connects it onward again. destroy() closes the link without a frame, as lws' client does.
//
// Bad input from the proxy (an unknown prefix, a length beyond the input buffer or wrong for its frame, a metadata
// name longer than its frame, a payload or state before the create result, a second create result, a metadata
// name beyond the table of `maxMetadata`) closes the link with the reason logged, then the link is retried. The
// client has no policy, so, as lws' sspc, it takes metadata names the proxy sends, up to that table's size.
// Memory per stream is fixed at create: the input and rx buffers (inSize), the tx frame (one LWS_SS_MTU payload).
import {
  LPCSCLI_SENDING_INITIAL_TX, LPCSCLI_WAITING_CREATE_RESULT, LPCSCLI_LOCAL_CONNECTED, LPCSCLI_ONWARD_CONNECT,
  LPCSCLI_OPERATIONAL, LWSSSCS_UNSET, LWSSSCS_CREATING, LWSSSCS_CONNECTED, LWSSSCS_DISCONNECTED, LWSSSCS_DESTROYING,
  LWSSSSRET_OK, LWSSSSRET_TX_DONT_SEND, LWSSSSRET_DESTROY_ME, LWSSSSRET_DISCONNECT_ME, LWS_SS_MTU, LWSSSS_VERSION,
  LWSSS_SER_RXPRE_RX_PAYLOAD, LWSSS_SER_RXPRE_CREATE_RESULT, LWSSS_SER_RXPRE_CONNSTATE, LWSSS_SER_RXPRE_TXCR_UPDATE,
  LWSSS_SER_RXPRE_METADATA, LWSSS_SER_TXPRE_ONWARD_CONNECT, LWSSS_SER_TXPRE_TX_PAYLOAD, LWSSS_SER_TXPRE_METADATA,
  LWSSS_SER_TXPRE_TXCR_UPDATE, LWSSS_SER_TXPRE_TIMEOUT_UPDATE, LWSSS_SER_TXPRE_PAYLOAD_LENGTH_HINT,
  LWSSS_TIMEOUT_FROM_POLICY, stateName, connStateName,
} from "ss/constants";
import Timer from "timer";
import { transition } from "ss/states";
import { createContext, type Context, type ContextOptions } from "ss";
import type { Connector, Transport, TxOut } from "ss/protocol";
import { tcpConnector } from "ss/tcp";
import TCP from "embedded:io/socket/tcp";
import type { Mux } from "ss/mux";
import {
  Frame, PAYLOAD_AT, NEED_MORE, TIMEOUT_CANCEL, frameLength, decode, describe, writeStreamType, writeEmpty, writeU32,
  writePayloadHeader, writeMetadata, metadataNameFits, nowUs,
} from "ss/serial";

/** What app code holds of a stream, local (ss' SecureStream) or proxied (ProxiedStream) alike: lws_ss_* on it. */
export interface Handle<O> {
  readonly opaque: O;
  readonly tag: string;
  readonly destroyed: boolean;
  destroy(): void;
  requestTx(): number;
  requestTxLen(len: number): number;
  clientConnect(): number;
  startTimeout(timeoutMs?: number): void;
  cancelTimeout(): void;
  setMetadata(name: string, value: string): boolean;
  getMetadata(name: string): string | undefined;
  addPeerTxCredit(add: number): number;
  getEstPeerTxCredit(): number;
}

/** lws_ss_info_t for app code that runs either way: callbacks take a Handle. */
export interface AppInfo<O> {
  streamtype: string;
  rx?: (h: Handle<O>, buf: Uint8Array, len: number, flags: number) => number | void;
  tx?: (h: Handle<O>, ord: number, buf: Uint8Array, out: TxOut) => number | void;
  state?: (h: Handle<O>, hSrc: null, state: number, ack: number) => number | void;
  flags?: number;
}

/** What openContext() gives: ss' Context or a ProxiedContext, used the same way. */
export interface AppContext {
  readonly streams: number;
  create<O>(info: AppInfo<O>, opaque: O): Handle<O>;
  destroy(): void;
}

export interface ProxiedOptions {
  /** The proxy: a TCP address (default 127.0.0.1) and port, or (simulator only) a unix socket path, or a channel
   * per stream on a transport mux (ss/mux, role "client": a UART, a TCP link, a pty). */
  proxy: { address?: string; port?: number; path?: string; mux?: Mux };
  /** How a link is opened (default ss/tcp). */
  connector?: Connector;
  /** Wait between link attempts (default 1000 ms, as lws). */
  retryMs?: number;
  /** The initial tx credit STREAMTYPE offers (default 500000000, as lws' client). */
  credit?: number;
  /** The client pid STREAMTYPE carries (default 0). */
  pid?: number;
  /** The longest frame taken from the proxy (default PAYLOAD_AT + 4096). */
  inSize?: number;
  /** The most payload one TX_PAYLOAD carries: what the app's tx is offered (default LWS_SS_MTU, 1540). lws'
   * proxy behind a UART mux needs each TX_PAYLOAD in one read of its serial port (ss/mux, README): ~1000. */
  txMax?: number;
  /** Metadata names a stream keeps (its own and the proxy's), at most (default 16). */
  maxMetadata?: number;
  log?: (line: string) => void;
}

export interface ProxiedInfo<O> {
  streamtype: string;
  rx?: (h: ProxiedStream<O>, buf: Uint8Array, len: number, flags: number) => number | void;
  tx?: (h: ProxiedStream<O>, ord: number, buf: Uint8Array, out: TxOut) => number | void;
  state?: (h: ProxiedStream<O>, hSrc: null, state: number, ack: number) => number | void;
  flags?: number;
}

const PUMP_WAIT_MS = 10000;
let serial = 0;

export class ProxiedStream<O = unknown> {
  readonly opaque: O;
  readonly tag: string;
  readonly streamtype: string;
  /** lws' LPCSCLI_* state of the link. */
  link = LPCSCLI_SENDING_INITIAL_TX;
  /** Frames and bytes this stream put on / took off its link. */
  readonly stats = { framesOut: 0, framesIn: 0, bytesOut: 0, bytesIn: 0 };
  readonly #ctx: ProxiedContext;
  #rxCb: ProxiedInfo<O>["rx"];
  #txCb: ProxiedInfo<O>["tx"];
  #stateCb: ProxiedInfo<O>["state"];
  #conn: Transport | undefined;
  #state = LWSSSCS_UNSET;
  #created = false;
  #dangling = false;
  #destroyed = false;
  #destroying = false;
  #destroyPending = false;
  #depth = 0;
  #txPending = false;
  #onward = false;
  #txOrd = 0;
  #credit = 0;
  #retryTimer: ReturnType<typeof Timer.set> | undefined;
  readonly #metadata = new Map<string, string>();
  readonly #inBuf: Uint8Array;
  #inEnd = 0;
  readonly #rxBuf: Uint8Array;
  readonly #txFrame = new Uint8Array(PAYLOAD_AT + LWS_SS_MTU);
  readonly #txPayload = this.#txFrame.subarray(PAYLOAD_AT);
  readonly #small = new Uint8Array(600);
  readonly #f = new Frame();
  readonly #out: TxOut = { len: 0, flags: 0 };

  constructor(ctx: ProxiedContext, info: ProxiedInfo<O>, opaque: O) {
    this.#ctx = ctx;
    this.opaque = opaque;
    this.streamtype = info.streamtype;
    this.tag = `${info.streamtype}|p${++serial}`;
    this.#rxCb = info.rx;
    this.#txCb = info.tx;
    this.#stateCb = info.state;
    this.#inBuf = new Uint8Array(ctx.inSize);
    this.#rxBuf = new Uint8Array(ctx.inSize);
    this.#open();
  }

  get destroyed(): boolean { return this.#destroyed; }

  // ---- lws_ss_* API ----

  destroy(): void {
    if (this.#destroyed || this.#destroying) return;
    if (this.#depth > 0) {
      this.#destroyPending = true;
      return;
    }
    this.#destroying = true; // a DESTROY_ME from the DISCONNECTED below must not destroy twice
    if (this.#dangling) {
      this.#dangling = false;
      this.#deliver(LWSSSCS_DISCONNECTED);
    }
    this.#destroyed = true;
    this.#deliverRaw(LWSSSCS_DESTROYING);
    this.#closeLink();
    if (this.#retryTimer !== undefined) Timer.clear(this.#retryTimer);
    this.#ctx.released(this);
  }

  requestTx(): number {
    if (this.#destroyed) return LWSSSSRET_OK;
    this.#txPending = true;
    this.#onwardIfReady();
    if (this.link === LPCSCLI_OPERATIONAL) Promise.resolve().then(() => this.#serviceTx());
    return LWSSSSRET_OK;
  }

  requestTxLen(len: number): number {
    this.#sendU32(LWSSS_SER_TXPRE_PAYLOAD_LENGTH_HINT, len);
    return this.requestTx();
  }

  clientConnect(): number {
    this.#onward = true;
    this.#onwardIfReady();
    return LWSSSSRET_OK;
  }

  startTimeout(timeoutMs: number = LWSSS_TIMEOUT_FROM_POLICY): void {
    this.#sendU32(LWSSS_SER_TXPRE_TIMEOUT_UPDATE, timeoutMs);
  }

  cancelTimeout(): void {
    this.#sendU32(LWSSS_SER_TXPRE_TIMEOUT_UPDATE, TIMEOUT_CANCEL);
  }

  setMetadata(name: string, value: string): boolean {
    if (typeof name !== "string" || typeof value !== "string" || name.length === 0) return false;
    if (!this.#metadata.has(name) && this.#metadata.size >= this.#ctx.maxMetadata) {
      this.#ctx.log(`${this.tag}: setMetadata("${name}"): ${this.#ctx.maxMetadata} names already (maxMetadata)`);
      return false;
    }
    this.#metadata.set(name, value);
    if (this.link >= LPCSCLI_LOCAL_CONNECTED) this.#sendMetadata(name, value);
    return true;
  }

  getMetadata(name: string): string | undefined {
    return this.#metadata.get(name);
  }

  addPeerTxCredit(n: number): number {
    this.#credit += n;
    this.#sendU32(LWSSS_SER_TXPRE_TXCR_UPDATE, n);
    return 0;
  }

  getEstPeerTxCredit(): number { return this.#credit; }

  changeHandlers(rx?: ProxiedInfo<O>["rx"] | null, tx?: ProxiedInfo<O>["tx"] | null, state?: ProxiedInfo<O>["state"] | null): void {
    if (rx) this.#rxCb = rx;
    if (tx) this.#txCb = tx;
    if (state) this.#stateCb = state;
  }

  // ---- the link ----

  #open(): void {
    this.#retryTimer = undefined;
    if (this.#destroyed) return;
    this.link = LPCSCLI_SENDING_INITIAL_TX;
    this.#inEnd = 0;
    const { address, port } = this.#ctx.proxy;
    let conn: Transport;
    try {
      conn = this.#ctx.connector(address, port || 1, {
        connectTimeout: 5000, idleTimeout: 0, rxSize: this.#ctx.inSize, txSize: this.#ctx.inSize, tag: this.tag,
      });
    } catch (error) {
      this.#lost(`cannot open the link: ${String(error)}`);
      return;
    }
    this.#conn = conn;
    void this.#pump(conn);
  }

  async #pump(conn: Transport): Promise<void> {
    let sentInitial = false;
    while (conn === this.#conn && !this.#destroyed) {
      const st = conn.state;
      if (st === "open" && !sentInitial) {
        sentInitial = true;
        const s = this.#small;
        const end = writeStreamType(s, 0, LWSSSS_VERSION, this.#ctx.pid, this.#ctx.credit, this.streamtype);
        this.#write(s, end);
        this.link = LPCSCLI_WAITING_CREATE_RESULT;
      }
      if (st === "open" || st === "closed") {
        let n = 0;
        try {
          n = conn.read(this.#inBuf, this.#inEnd, this.#inBuf.length - this.#inEnd);
        } catch {
          n = -1;
        }
        if (n > 0) {
          this.#inEnd += n;
          this.stats.bytesIn += n;
          if (!this.#frames()) return;
          continue;
        }
        if (n < 0 || st === "closed") {
          this.#lost("the proxy closed the link");
          return;
        }
      }
      if (st === "failed") {
        this.#lost(`link failed: ${conn.error ? conn.error.message : "?"}`);
        return;
      }
      if (this.#txPending && this.link === LPCSCLI_OPERATIONAL) this.#serviceTx();
      await conn.wait(PUMP_WAIT_MS);
    }
  }

  /** Every complete frame in the input buffer; false when the stream or link went away. */
  #frames(): boolean {
    const buf = this.#inBuf;
    let at = 0;
    const conn = this.#conn;
    while (conn === this.#conn && !this.#destroyed) {
      const len = frameLength(buf, at, this.#inEnd, "to-client", buf.length);
      if (len === NEED_MORE) break;
      if (len < 0) {
        this.#lost(`bad input from the proxy: ${describe(len, buf[at])}`, true);
        return false;
      }
      this.stats.framesIn++;
      if (!this.#frame(at, len)) return false;
      at += len;
    }
    if (conn !== this.#conn || this.#destroyed) return false;
    if (at > 0) {
      buf.copyWithin(0, at, this.#inEnd);
      this.#inEnd -= at;
    }
    return true;
  }

  #frame(at: number, len: number): boolean {
    const f = decode(this.#inBuf, at, len, this.#f);
    const conn = this.#conn;
    if (f.prefix === LWSSS_SER_RXPRE_CREATE_RESULT) {
      if (this.link !== LPCSCLI_WAITING_CREATE_RESULT) return this.#bad(`CREATE_RESULT in ${connStateName(this.link)}`);
      if (f.result !== 0) {
        this.#lost(`the proxy could not create "${this.streamtype}" (CREATE_RESULT ${f.result})`, true);
        return false;
      }
      this.link = LPCSCLI_LOCAL_CONNECTED;
      for (const [name, value] of this.#metadata) this.#sendMetadata(name, value);
      this.#onwardIfReady();
      return conn === this.#conn;
    }
    if (this.link < LPCSCLI_LOCAL_CONNECTED) return this.#bad(`frame 0x${f.prefix.toString(16)} before the create result`);
    switch (f.prefix) {
      case LWSSS_SER_RXPRE_CONNSTATE: {
        const state = f.state;
        if (state === LWSSSCS_CREATING && this.#created) return true; // once per stream (lws: creating_cb_done)
        if (state === LWSSSCS_CREATING) this.#created = true;
        if (state === LWSSSCS_CONNECTED) {
          this.link = LPCSCLI_OPERATIONAL;
          this.#dangling = true;
        }
        if (state === LWSSSCS_DISCONNECTED) {
          if (!this.#dangling) return true; // already told (link loss)
          this.#dangling = false;
          this.#onward = false;
          if (this.link === LPCSCLI_OPERATIONAL) this.link = LPCSCLI_LOCAL_CONNECTED;
        }
        this.#deliver(state);
        if (this.#destroyed || conn !== this.#conn) return false;
        if (this.#txPending && this.link === LPCSCLI_OPERATIONAL) this.#serviceTx();
        else this.#onwardIfReady();
        return !this.#destroyed && conn === this.#conn;
      }
      case LWSSS_SER_RXPRE_RX_PAYLOAD: {
        const n = f.payloadEnd - f.payloadAt;
        this.#rxBuf.set(this.#inBuf.subarray(f.payloadAt, f.payloadEnd), 0);
        this.#call(() => this.#rxCb?.(this, this.#rxBuf, n, f.flags));
        return !this.#destroyed && conn === this.#conn;
      }
      case LWSSS_SER_RXPRE_METADATA:
        if (!metadataNameFits(this.#inBuf, at, len) || f.name.length === 0) return this.#bad("a metadata name longer than its frame");
        if (!this.#metadata.has(f.name) && this.#metadata.size >= this.#ctx.maxMetadata) {
          return this.#bad(`metadata for an unknown name "${f.name}" with ${this.#ctx.maxMetadata} names held already`);
        }
        this.#metadata.set(f.name, f.text);
        return true;
      case LWSSS_SER_RXPRE_TXCR_UPDATE:
        this.#credit += f.value;
        return true;
      default:
        return true; // PERF: not used here
    }
  }

  #bad(reason: string): boolean {
    this.#lost(`bad input from the proxy: ${reason}`, true);
    return false;
  }

  #onwardIfReady(): void {
    if (this.link !== LPCSCLI_LOCAL_CONNECTED || !(this.#onward || this.#txPending)) return;
    const s = this.#small;
    this.#write(s, writeEmpty(s, 0, LWSSS_SER_TXPRE_ONWARD_CONNECT));
    this.link = LPCSCLI_ONWARD_CONNECT;
  }

  #serviceTx(): void {
    const conn = this.#conn;
    let calls = 0;
    while (this.#txPending && this.link === LPCSCLI_OPERATIONAL && conn && conn === this.#conn && !this.#destroyed &&
      conn.writable >= PAYLOAD_AT + LWS_SS_MTU && calls++ < 32) {
      this.#txPending = false;
      const out = this.#out;
      const max = this.#ctx.txMax;
      out.len = max;
      out.flags = 0;
      const r = this.#call(() => this.#txCb ? this.#txCb(this, this.#txOrd++, this.#txPayload, out) : LWSSSSRET_TX_DONT_SEND);
      if (r !== LWSSSSRET_OK || this.#destroyed) return;
      const len = out.len < 0 ? 0 : out.len > max ? max : out.len;
      const end = writePayloadHeader(this.#txFrame, 0, LWSSS_SER_TXPRE_TX_PAYLOAD, out.flags, 0, nowUs(), len);
      this.#write(this.#txFrame, end);
    }
  }

  #sendMetadata(name: string, value: string): void {
    const s = this.#small;
    const end = writeMetadata(s, 0, LWSSS_SER_TXPRE_METADATA, name, value);
    if (end < 0) this.#ctx.log(`${this.tag}: metadata ${name} too long for a frame: not sent`);
    else this.#write(s, end);
  }

  #sendU32(prefix: number, value: number): void {
    if (this.link < LPCSCLI_LOCAL_CONNECTED) return;
    const s = this.#small;
    this.#write(s, writeU32(s, 0, prefix, value));
  }

  #write(buf: Uint8Array, end: number): void {
    const conn = this.#conn;
    if (!conn || end <= 0) return;
    try {
      if (conn.writable < end) {
        this.#lost(`link tx ring full (${end} bytes wanted)`);
        return;
      }
      conn.write(buf, 0, end);
      this.stats.framesOut++;
      this.stats.bytesOut += end;
    } catch (error) {
      this.#lost(`link write failed: ${String(error)}`);
    }
  }

  #closeLink(): void {
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn) conn.close();
  }

  /** The link is gone: DISCONNECTED to the app if it was connected, then a new link after retryMs. */
  #lost(reason: string, bad = false): void {
    if (this.#destroyed) return;
    this.#ctx.log(`${this.tag}: ${bad ? "link closed: " : ""}${reason} (${connStateName(this.link)})`);
    this.#closeLink();
    this.link = LPCSCLI_SENDING_INITIAL_TX;
    if (this.#dangling) {
      this.#dangling = false;
      this.#onward = false;
      this.#deliver(LWSSSCS_DISCONNECTED);
      if (this.#destroyed) return;
    }
    if (this.#retryTimer === undefined) this.#retryTimer = Timer.set(() => this.#open(), this.#ctx.retryMs);
  }

  // ---- the app's callbacks ----

  #deliver(state: number): void {
    const j = transition(this.#state, state, "sspc");
    if (!j.ok) {
      this.#ctx.log(`${this.tag}: ${j.message}: destroying`);
      this.destroy();
      return;
    }
    this.#state = j.state;
    const r = this.#call(() => this.#stateCb?.(this, null, state, 0));
    if (r === LWSSSSRET_DESTROY_ME && !this.#destroyed) this.destroy();
  }

  #deliverRaw(state: number): void {
    this.#state = state;
    this.#depth++;
    try {
      this.#stateCb?.(this, null, state, 0);
    } catch (error) {
      this.#ctx.log(`${this.tag}: state ${stateName(state)} callback threw: ${String(error)}`);
    }
    this.#depth--;
  }

  /** Run a callback: exceptions are logged as DESTROY_ME; DESTROY_ME / a deferred destroy() take effect after. */
  #call(f: () => number | void): number {
    this.#depth++;
    let r: number;
    try {
      r = f() ?? LWSSSSRET_OK;
    } catch (error) {
      this.#ctx.log(`${this.tag}: callback threw: ${String(error)}`);
      r = LWSSSSRET_DESTROY_ME;
    }
    this.#depth--;
    if (this.#depth === 0 && (this.#destroyPending || r === LWSSSSRET_DESTROY_ME)) {
      this.#destroyPending = false;
      this.destroy();
    } else if (r === LWSSSSRET_DISCONNECT_ME) {
      this.#ctx.log(`${this.tag}: DISCONNECT_ME through a proxy: the link is closed and retried`);
      this.#lost("DISCONNECT_ME");
    }
    return r;
  }
}

/** An embedded:io/socket/tcp that connects to a unix socket path instead of its address (simulator only). */
function pathSocket(path: string): new (options: any) => any {
  return class extends TCP {
    // `any`: the host boundary; `path` is the simulator's extension, not in the SDK's typing.
    constructor(options: any) {
      super({ ...options, address: undefined, port: undefined, path });
    }
  };
}

export class ProxiedContext implements AppContext {
  readonly proxy: { address: string; port: number; path: string | undefined; mux: Mux | undefined };
  readonly connector: Connector;
  readonly retryMs: number;
  readonly credit: number;
  readonly pid: number;
  readonly inSize: number;
  readonly txMax: number;
  readonly maxMetadata: number;
  readonly log: (line: string) => void;
  readonly #streams: ProxiedStream<any>[] = [];

  constructor(options: ProxiedOptions) {
    const p = options.proxy;
    this.proxy = { address: p.address ?? "127.0.0.1", port: p.port ?? 0, path: p.path, mux: p.mux };
    this.connector = options.connector ?? (p.mux ? tcpConnector({ tcp: p.mux.socketClass() }) :
      p.path !== undefined ? tcpConnector({ tcp: pathSocket(p.path) }) : tcpConnector());
    this.maxMetadata = options.maxMetadata ?? 16;
    this.retryMs = options.retryMs ?? 1000;
    this.credit = options.credit ?? 500000000;
    this.pid = options.pid ?? 0;
    this.inSize = options.inSize ?? PAYLOAD_AT + 4096;
    const txMax = options.txMax ?? LWS_SS_MTU;
    this.txMax = txMax >= 1 && txMax <= LWS_SS_MTU ? Math.floor(txMax) : LWS_SS_MTU;
    this.log = options.log ?? ((line: string) => trace(`${line}\n`));
  }

  get streams(): number { return this.#streams.length; }

  create<O>(info: ProxiedInfo<O>, opaque: O): ProxiedStream<O> {
    const h = new ProxiedStream<O>(this, info, opaque);
    this.#streams.push(h);
    return h;
  }

  released(h: ProxiedStream<any>): void {
    const i = this.#streams.indexOf(h);
    if (i >= 0) this.#streams.splice(i, 1);
  }

  destroy(): void {
    for (const h of this.#streams.slice()) h.destroy();
  }
}

/** A context whose streams run at a proxy. */
export function createProxiedContext(options: ProxiedOptions): ProxiedContext {
  return new ProxiedContext(options);
}

/** The same app code either way, chosen by configuration: `{ proxy }` is proxied, `{ policy, ... }` local. */
export function openContext(config: ProxiedOptions | ContextOptions): AppContext {
  if ("proxy" in config && config.proxy) return new ProxiedContext(config as ProxiedOptions);
  const local: Context = createContext(config as ContextOptions);
  return local;
}

