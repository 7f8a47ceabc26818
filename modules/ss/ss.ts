// Secure Streams for the device: libwebsockets' API (include/libwebsockets/lws-secure-streams.h) in TypeScript
// shape. Apps never see sockets, hosts or certificates: they create a stream by its type's name, and the policy
// (ss/policy) decides endpoint, port, protocol, trust, retries and timeouts.
//
//   import { createContext, LWSSSCS_QOS_ACK_REMOTE, LWSSSSRET_OK, LWSSS_FLAG_EOM } from "ss";
//   const context = createContext({ policy: parsePolicy(json) });        // lws_create_context(), policy given
//   const h = context.create({ streamtype: "status", rx, tx, state }, opaque);   // lws_ss_create()
//   h.setMetadata("unit", "7"); h.requestTx();                           // lws_ss_set_metadata(), _request_tx()
//   ... state(h, null, LWSSSCS_QOS_ACK_REMOTE, 0) ...; h.destroy();      // lws_ss_destroy()
//
// lws C                              here
//   lws_ss_create(cx, 0, &ssi, op, &h)  context.create(info, opaque) -> handle; throws SSError (ss/errors)
//   lws_ss_destroy(&h)                  h.destroy()
//   lws_ss_request_tx(h)                h.requestTx()
//   lws_ss_request_tx_len(h, len)       h.requestTxLen(len)
//   lws_ss_client_connect(h)            h.clientConnect()
//   lws_ss_start_timeout(h, ms)         h.startTimeout(ms)      (LWSSS_TIMEOUT_FROM_POLICY = the type's timeout_ms)
//   lws_ss_cancel_timeout(h)            h.cancelTimeout()
//   lws_ss_set_metadata(h, name, v, l)  h.setMetadata(name, value) -> boolean
//   lws_ss_get_metadata(h, name, &v, &l) h.getMetadata(name) -> string | undefined
//   lws_ss_add_peer_tx_credit(h, n)     h.addPeerTxCredit(n)
//   lws_ss_get_est_peer_tx_credit(h)    h.getEstPeerTxCredit()
//   lws_ss_state_name(state)            stateName(state)
//   lws_ss_change_handlers(h, rx,tx,st) h.changeHandlers(rx, tx, state)
//   lws_ss_to_user_object(h)            h.opaque
//   callbacks (userobj, ...)            rx(h, buf, len, flags), tx(h, ord, buf, out), state(h, null, state, ack)
// States, results and flags keep lws' names and numbers (ss/constants); which state may follow which is lws'
// table (ss/states). stream.ts says state by state what happens, and where this differs from lws.
//
// Protocols: raw (ss/raw), h1 (ss/h1) and mqtt (ss/mqtt, over modules/mqtt's client) are bound by default; a
// ProtocolFactory given in `protocols` replaces one (e.g. `{ mqtt: mqttProtocol({ outboxSize }) }`), and
// `{ mqtt: undefined }` is ignored (spread); a protocol with no factory is refused at create() with SS_UNSUPPORTED. Connections: tls/client for "tls": true, ss/tcp for "tls": false (a
// context made with `tcp: null` refuses such stream types at create()).
import { connect as tlsConnect, type Providers } from "tls/client";
import { LWSSSINFLAGS_REGISTER_SINK, LWSSSINFLAGS_PROXIED, LWSSSINFLAGS_SERVER, LWSSSINFLAGS_ACCEPTED } from "ss/constants";
import type { Policy, StreamType, Protocol as ProtocolName } from "ss/policy";
import { SSError, SS_BAD_ARGUMENT, SS_UNKNOWN_STREAMTYPE, SS_UNSUPPORTED, SS_CREATE_REFUSED, SS_NO_SPACE } from "ss/errors";
import type { Connector, ProtocolFactory } from "ss/protocol";
import { SecureStream, type Env, type StreamInfo } from "ss/stream";
import { raw } from "ss/raw";
import { h1 } from "ss/h1";
import { mqtt } from "ss/mqtt";
import { tcpConnector } from "ss/tcp";

export * from "ss/constants";
export { SSError } from "ss/errors";
export { SecureStream } from "ss/stream";
export type { StreamInfo, RxCallback, TxCallback, StateCallback, TxOut } from "ss/stream";

export interface ContextOptions extends Providers {
  policy: Policy;
  /** The CA (DER) for tls stream types without a tls_trust_store (lws: "the OS trust store"). */
  ca?: ArrayBuffer;
  /** Protocol bindings beside the default raw and h1: `{ mqtt: factory }`. */
  protocols?: Partial<Record<ProtocolName, ProtocolFactory>>;
  /** Connector for "tls": true (default: tls/client's connect with `dns` / `socket` from these options). */
  tls?: Connector;
  /** Connector for "tls": false (default: ss/tcp with `dns` from these options); null refuses such stream types. */
  tcp?: Connector | null;
  /** Streams alive at once, at most (default 8). */
  maxStreams?: number;
  /** Lookup + connect + handshake (default 10000 ms). */
  connectTimeoutMs?: number;
  /** An h1 connection with no byte either way for this long is lost (default 30000 ms, as lws). */
  idleTimeoutMs?: number;
  /** Each connection's rx and tx rings (defaults 2048 and 2048). */
  rxSize?: number;
  txSize?: number;
  /** Longest metadata value (default 512 characters). */
  maxMetadataLength?: number;
  /** The log (default trace). */
  log?: (line: string) => void;
  /** 0-65535 for the retry jitter (default Math.random). */
  random16?: () => number;
}

/** Whether a stream type's connections are TLS: its "tls", unless a URL endpoint's scheme says (as lws reads it). */
function usesTls(type: StreamType): boolean {
  const scheme = type.endpoint.indexOf("://");
  if (scheme > 0) {
    const name = type.endpoint.slice(0, scheme).toLowerCase();
    if (name === "http" || name === "ws" || name === "mqtt") return false;
    if (name === "https" || name === "wss" || name === "mqtts") return true;
  }
  return type.tls;
}

function option(value: number | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new SSError(SS_BAD_ARGUMENT, `${name} must be an integer >= ${min}`);
  return value;
}

/** The lws_context of Secure Streams: one policy, its protocols and connectors, and the streams made from it. */
export class Context {
  readonly policy: Policy;
  readonly #options: ContextOptions;
  readonly #log: (line: string) => void;
  readonly #protocols: Partial<Record<ProtocolName, ProtocolFactory>>;
  readonly #tls: Connector;
  readonly #tcp: Connector | undefined;
  readonly #streams: SecureStream<any>[] = [];
  readonly #max: number;
  readonly #cas = new Map<string, ArrayBuffer>();
  readonly #released: (h: SecureStream<any>) => void;

  constructor(options: ContextOptions) {
    if (!options || typeof options !== "object" || !options.policy || typeof options.policy.lookup !== "function") {
      throw new SSError(SS_BAD_ARGUMENT, "createContext wants { policy } (a Policy from parsePolicy)");
    }
    this.policy = options.policy;
    this.#options = options;
    this.#log = options.log ?? ((line: string) => trace(`${line}\n`));
    this.#protocols = { raw, h1, mqtt, ...options.protocols };
    const providers: Providers = {};
    if (options.dns) providers.dns = options.dns;
    if (options.socket) providers.socket = options.socket;
    this.#tls = options.tls ?? ((host, port, o) => tlsConnect(host, port, { ...providers, ...o }));
    this.#tcp = options.tcp === null ? undefined : options.tcp ?? tcpConnector(options.dns ? { dns: options.dns } : {});
    this.#max = option(options.maxStreams, 8, "maxStreams", 1);
    option(options.connectTimeoutMs, 10000, "connectTimeoutMs", 1);
    option(options.idleTimeoutMs, 30000, "idleTimeoutMs", 0);
    option(options.rxSize, 2048, "rxSize", 64);
    option(options.txSize, 2048, "txSize", 64);
    option(options.maxMetadataLength, 512, "maxMetadataLength", 1);
    this.#released = (h) => {
      const i = this.#streams.indexOf(h);
      if (i >= 0) this.#streams.splice(i, 1);
    };
  }

  /** Streams alive now. */
  get streams(): number { return this.#streams.length; }

  /**
   * lws_ss_create(): a stream of the policy's type `info.streamtype`. Its state callback gets CREATING before this
   * returns (and CONNECTING too if the type is nailed_up). Throws SSError: SS_UNKNOWN_STREAMTYPE, SS_UNSUPPORTED
   * (a protocol or transport not bound here), SS_BAD_ARGUMENT, SS_NO_SPACE, SS_CREATE_REFUSED (CREATING answered
   * LWSSSSRET_DESTROY_ME; the stream got DESTROYING).
   */
  create<O>(info: StreamInfo<O>, opaque: O): SecureStream<O> {
    if (!info || typeof info !== "object" || typeof info.streamtype !== "string") {
      throw new SSError(SS_BAD_ARGUMENT, "create wants info with a streamtype name");
    }
    for (const name of ["rx", "tx", "state"] as const) {
      const f = info[name];
      if (f !== undefined && f !== null && typeof f !== "function") {
        throw new SSError(SS_BAD_ARGUMENT, `info.${name} must be a function`);
      }
    }
    const flags = info.flags ?? 0;
    if (!Number.isInteger(flags) || flags < 0) throw new SSError(SS_BAD_ARGUMENT, "info.flags must be LWSSSINFLAGS_* bits");
    if (flags & (LWSSSINFLAGS_REGISTER_SINK | LWSSSINFLAGS_PROXIED | LWSSSINFLAGS_SERVER | LWSSSINFLAGS_ACCEPTED)) {
      throw new SSError(SS_UNSUPPORTED, "sinks, servers and proxied streams are not supported here (flags must be 0)");
    }
    const type = this.policy.lookup(info.streamtype);
    if (!type) throw new SSError(SS_UNKNOWN_STREAMTYPE, `the policy has no stream type "${info.streamtype}"`);
    const protocol = this.#protocols[type.protocol];
    if (!protocol) {
      throw new SSError(SS_UNSUPPORTED,
        `stream type "${type.name}" is ${type.protocol}: no ${type.protocol} protocol is bound here yet (createContext({ protocols: { ${type.protocol}: factory } }))`);
    }
    const plain = !usesTls(type);
    if (plain && !this.#tcp) {
      throw new SSError(SS_UNSUPPORTED,
        `stream type "${type.name}" is "tls": false: no plain TCP connector is bound here (createContext({ tcp }))`);
    }
    const ca = this.#caFor(type);
    if (!plain && !ca) {
      throw new SSError(SS_UNSUPPORTED,
        `stream type "${type.name}" uses tls with no tls_trust_store, and the context has no default ca`);
    }
    if (this.#streams.length >= this.#max) {
      throw new SSError(SS_NO_SPACE, `${this.#max} streams are alive already (maxStreams)`);
    }
    const options = this.#options;
    const env: Env = {
      log: this.#log,
      protocol,
      tls: this.#tls,
      tcp: this.#tcp,
      ca,
      connectTimeoutMs: options.connectTimeoutMs ?? 10000,
      idleTimeoutMs: options.idleTimeoutMs ?? 30000,
      rxSize: options.rxSize ?? 2048,
      txSize: options.txSize ?? 2048,
      maxMetadataLength: options.maxMetadataLength ?? 512,
      random16: options.random16,
      released: this.#released,
    };
    const made = SecureStream.create(env, type, info, opaque);
    if (typeof made === "string") throw new SSError(SS_CREATE_REFUSED, made);
    if (!made.destroyed) this.#streams.push(made);
    return made;
  }

  /** Destroy every stream (what lws_context_destroy() does to them). */
  destroy(): void {
    const streams = this.#streams.slice();
    for (const h of streams) h.destroy();
  }

  /** The CA of the type's trust store (its first certificate: the board's TLS takes one), else the context's. */
  #caFor(type: StreamType): ArrayBuffer | undefined {
    const store = type.trustStore;
    if (!store) return this.#options.ca;
    let der = this.#cas.get(store.name);
    if (!der) {
      der = store.certs[0]!.der();
      this.#cas.set(store.name, der);
      if (store.certs.length > 1) {
        this.#log(`ss: trust store ${store.name}: the board's TLS takes one CA: using ${store.certs[0]!.name} of ${store.certs.length}`);
      }
    }
    return der;
  }
}

/** A Secure Streams context over `options.policy`. */
export function createContext(options: ContextOptions): Context {
  return new Context(options);
}
