// mqtt/client: an MQTT 3.1.1 client over a byte connection (modules/tls's TLSConnection, or anything of its shape,
// opened by a transport function the caller passes in). It owns the session: CONNECT / CONNACK, keep-alive (a
// PINGREQ when nothing was sent for most of the keep-alive, and the connection dropped when no PINGRESP comes within
// it), publishing at QoS 0 and 1 (Packet Identifiers, PUBACK tracking, retransmission with DUP after a reconnect, in
// order), subscriptions (renewed after a reconnect that lost the session), incoming PUBLISH delivered to a callback
// (QoS 1 PUBACKed), reconnecting with a doubling delay, and one state table that judges every transition.
//
// Memory is fixed at construction: a receive buffer and a transmit buffer of maxPacketSize each, and the outbox
// (mqtt/outbox), one ring of outboxSize bytes holding every QoS 1 message until its PUBACK and every message published
// while it cannot be sent; when it is full the OLDEST are dropped and counted (`dropped`). Nothing grows per message.
// It survives: a broker that closes, resets or vanishes (reconnect, retransmit), malformed or oversized packets (the
// decoder's reason is logged with the code, never an abort), a full transmit ring (backpressure: incoming QoS 1
// messages wait until their PUBACKs can be written), and a throwing message callback (logged). Every failure is an
// MQTTError (mqtt/errors) and every wait has a timeout.
import Timer from "timer";
import { Waits, type Wait } from "waits";
import Outbox from "mqtt/outbox";
import {
  MQTTError, MQTT_BAD_ARGUMENT, MQTT_PACKET_TOO_LARGE, MQTT_BAD_PACKET, MQTT_PROTOCOL, MQTT_CONNECT_REFUSED,
  MQTT_SUBSCRIBE_REFUSED, MQTT_TIMEOUT, MQTT_PING_TIMEOUT, MQTT_TRANSPORT, MQTT_CONNECTION_LOST, MQTT_BUSY, MQTT_CLOSED,
} from "mqtt/errors";
import type { MQTTErrorCode } from "mqtt/errors";
import {
  Packet, decode, NEED_MORE, BAD_PACKET, TOO_LARGE, PACKET_TYPE_NAMES, connectSize, encodeConnect, writePublish,
  encodePuback, encodePingreq, encodeDisconnect, encodeSubscribe, encodeUnsubscribe, publishSizeOf, payloadLength, encodeTopicName,
  subscribeSize, unsubscribeSize, validTopicFilter, topicNameLength, readString, connectReturnCodeName,
  CONNACK, PUBLISH, PUBACK, SUBACK, UNSUBACK, PINGRESP, SUBACK_FAILURE, CONNECTION_ACCEPTED,
  CONNECTION_REFUSED_SERVER_UNAVAILABLE, PUBLISH_FLAG_DUP,
} from "mqtt/packet";
import type { Will, Subscription } from "mqtt/packet";

export { MQTTError } from "mqtt/errors";

/** A byte connection, as modules/tls's TLSConnection is one: non-blocking, with one call that waits. */
export interface Connection {
  isOpen(): boolean;
  /** The connection's failure, once it failed (its own coded error: kept in the MQTTError's message). */
  readonly error?: unknown;
  /** Bytes written but not yet handed to the network (disconnect() waits for 0 when the connection says). */
  readonly pending?: number;
  /** What was received, up to length bytes (0: nothing yet); throws once closed and drained, or failed. */
  read(into: Uint8Array, offset: number, length: number): number;
  /** What it took (0 when full); throws once closed or failed. */
  write(bytes: Uint8Array, offset: number, length: number): number;
  /** Resolves when something changes, or after timeoutMs. */
  wait(timeoutMs: number, until?: "any" | "readable" | "writable"): Promise<string>;
  close(): void;
}

/** Opens a new byte connection (e.g. `() => connect(host, 8883, { ca })` with tls/client); called per attempt. */
export type Transport = () => Connection;

export type MessageCallback = (topic: string, payload: Uint8Array, qos: number, retain: boolean, dup: boolean) => void;

export type ClientOptions = {
  transport: Transport;
  /** 1-23 characters are what every server must accept; "" asks the server for one (needs cleanSession). */
  clientId: string;
  /** Default true. */
  cleanSession?: boolean;
  /** Seconds, 0-65535; 0 turns keep-alive off. Default 60. */
  keepAlive?: number;
  userName?: string;
  password?: Uint8Array | string;
  will?: Will;
  /** Largest packet either way, fixed header included; the receive and transmit buffers have this size. Default 1024. */
  maxPacketSize?: number;
  /** Bytes of the outbox ring (unsent and unacknowledged PUBLISH packets, 6 bytes of header each). Default 4096. */
  outboxSize?: number;
  /** Opening the connection plus CONNACK must take at most this (ms). Default 10000. */
  connectTimeout?: number;
  /** Delay before reconnecting after a loss (ms), doubled after each failed attempt up to maxReconnectDelay; 0 never reconnects. Default 1000. */
  reconnectDelay?: number;
  /** Default 30000. */
  maxReconnectDelay?: number;
  /** Subscriptions kept for renewal after a reconnect that lost the session. Default 8. */
  maxSubscriptions?: number;
  /** Incoming PUBLISH: topic, payload (a view into the receive buffer, valid during the call only), QoS, RETAIN, DUP. */
  onMessage?: MessageCallback;
  /** Log prefix. Default "mqtt". */
  tag?: string;
  /** A PUBACK matched a message in flight (its Packet Identifier). Called inside the client: do not close it here. */
  onAck?: (packetId: number) => void;
  /** Every transition the table allowed. Called inside the client: do not close it here. */
  onState?: (state: State, why: string) => void;
};

// ---- States, and the one table that says which transitions exist (applied by #to, logged "A -> B") ----
export type State = "idle" | "opening" | "connecting" | "connected" | "backoff" | "closed";
const TRANSITIONS: Readonly<Record<State, readonly State[]>> = {
  idle: ["opening", "closed"], //                   connect(), close()
  opening: ["connecting", "backoff", "closed"], //  connection open (CONNECT sent) / it failed / close()
  connecting: ["connected", "backoff", "closed"], // CONNACK accepted / refused, timeout, lost / close()
  connected: ["backoff", "closed"], //              lost, ping timeout, bad packet / close(), disconnect()
  backoff: ["opening", "closed"], //                reconnect delay over / close()
  closed: [], //                                    final: a new client starts again
};

export type WaitResult = "change" | "timeout" | "closed";

type TimerID = ReturnType<typeof Timer.set>;
const READY = 0, FLUSHED = 1, CHANGE = 2;
type Request = {
  kind: number; // SUBSCRIBE or UNSUBSCRIBE (packet types)
  id: number;
  filter: string;
  qos: number;
  sent: boolean;
  resolve: (value: any) => void;
  reject: (error: MQTTError) => void;
  timer: TimerID | undefined;
};

const SUBSCRIBE_TYPE = 8, UNSUBSCRIBE_TYPE = 10;
const MAX_WAITERS = 8;
const MAX_REQUESTS = 4;
/** PUBACKs owed to the broker and not yet written; past this, incoming QoS 1 messages wait (backpressure). */
const MAX_PUBACKS = 16;
/** The pump's wait on the connection when nothing happens (ms): only a bound, nothing is polled for. */
const PUMP_WAIT = 5000;
/** Bytes of the last topic's UTF-8 kept encoded; a longer topic is encoded at each publish. */
const TOPIC_CACHE = 128;
/** Keep-alive is checked 4 times per period: PINGREQ after 3 idle ticks, the connection dropped 4 ticks after it. */
const TICKS_PER_KEEP_ALIVE = 4;
const PING_AFTER_IDLE_TICKS = 3;

function integer(value: unknown, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new MQTTError(MQTT_BAD_ARGUMENT, `${name} must be an integer from ${min} to ${max}, not ${String(value)}`);
  }
  return value;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${error.message}` : `${error.name}: ${error.message}`;
  }
  return String(error);
}

export class MQTTClient {
  readonly clientId: string;
  #transport: Transport;
  #tag: string;
  #connectFields: { clientId: string; cleanSession: boolean; keepAlive: number; userName?: string; password?: Uint8Array | string; will?: Will };
  #keepAlive: number;
  #maxPacketSize: number;
  /** The last topic published to and its UTF-8 length; its bytes in #topicBytes when they fit (#topicEncoded). */
  #topic: string | undefined;
  #topicLength = 0;
  /** The topic's bytes (a view of #topicBytes of its length), or undefined when they do not fit there. */
  #topicEncoded: Uint8Array | undefined;
  readonly #topicBytes = new Uint8Array(TOPIC_CACHE);
  #connectTimeout: number;
  #reconnectDelay: number;
  #maxReconnectDelay: number;
  #delay: number;
  #maxSubscriptions: number;
  #onMessage: MessageCallback | undefined;
  #onAck: ((packetId: number) => void) | undefined;
  #onState: ((state: State, why: string) => void) | undefined;

  #state: State = "idle";
  #error: MQTTError | undefined;
  /** Why the client closed: what pending waits are rejected with. */
  #closedBy: MQTTError | undefined;
  #conn: Connection | undefined;
  #sessionPresent = false;

  // Fixed buffers: a whole incoming packet, and the rest of an outgoing one the connection did not take at once.
  #rx: Uint8Array<ArrayBuffer>;
  #rxHave = 0;
  #rxHeld = false;
  #packet = new Packet();
  #tx: Uint8Array<ArrayBuffer>;
  #txLength = 0;
  #txSent = 0;
  #outbox: Outbox;

  #pubacks = new Uint16Array(MAX_PUBACKS);
  #pubackHead = 0;
  #pubackCount = 0;
  #pingWanted = false;
  #pingOutstanding = false;
  #idleTicks = 0;
  #pingTicks = 0;
  #disconnectWanted = false;
  #disconnectSent = false;
  #lastId = 0;
  #subscriptions: Subscription[] = [];
  #resubscribeWanted = false;
  #resubscribeId = 0;
  #resubscribeCount = 0;
  #requests: (Request | undefined)[] = new Array(MAX_REQUESTS).fill(undefined);
  readonly #waits = new Waits<number, any>(MAX_WAITERS, (w) => this.#expired(w));

  #connectTimer: TimerID | undefined;
  #tickTimer: TimerID | undefined;
  #backoffTimer: TimerID | undefined;

  // Counters.
  #published = 0;
  #resent = 0;
  #received = 0;
  #pings = 0;
  #pingResponses = 0;
  #connections = 0;

  constructor(options: ClientOptions) {
    if (!options || typeof options.transport !== "function") throw new MQTTError(MQTT_BAD_ARGUMENT, "transport must be a function that opens a connection");
    if (typeof options.clientId !== "string") throw new MQTTError(MQTT_BAD_ARGUMENT, "clientId must be a string");
    if (options.onMessage !== undefined && typeof options.onMessage !== "function") throw new MQTTError(MQTT_BAD_ARGUMENT, "onMessage must be a function");
    this.clientId = options.clientId;
    this.#transport = options.transport;
    this.#tag = options.tag ?? "mqtt";
    this.#keepAlive = integer(options.keepAlive, 60, "keepAlive", 0, 65535);
    this.#maxPacketSize = integer(options.maxPacketSize, 1024, "maxPacketSize", 64, 65530);
    const outboxSize = integer(options.outboxSize, 4096, "outboxSize", 1, 65536);
    if (outboxSize < this.#maxPacketSize + 6) {
      throw new MQTTError(MQTT_BAD_ARGUMENT, `outboxSize ${outboxSize} must hold one packet of maxPacketSize ${this.#maxPacketSize} plus 6 bytes`);
    }
    this.#connectTimeout = integer(options.connectTimeout, 10000, "connectTimeout", 1, 0x7fffffff);
    this.#reconnectDelay = integer(options.reconnectDelay, 1000, "reconnectDelay", 0, 0x7fffffff);
    this.#maxReconnectDelay = integer(options.maxReconnectDelay, 30000, "maxReconnectDelay", 1, 0x7fffffff);
    this.#delay = this.#reconnectDelay;
    this.#maxSubscriptions = integer(options.maxSubscriptions, 8, "maxSubscriptions", 1, 64);
    this.#onMessage = options.onMessage;
    this.#onAck = options.onAck;
    this.#onState = options.onState;
    this.#connectFields = {
      clientId: options.clientId,
      cleanSession: options.cleanSession ?? true,
      keepAlive: this.#keepAlive,
      userName: options.userName,
      password: options.password,
      will: options.will,
    };
    const size = connectSize(this.#connectFields); // throws MQTT_BAD_ARGUMENT for what CONNECT may not carry
    if (size > this.#maxPacketSize) throw new MQTTError(MQTT_PACKET_TOO_LARGE, `CONNECT of ${size} bytes exceeds maxPacketSize ${this.#maxPacketSize}`);
    this.#rx = new Uint8Array(this.#maxPacketSize);
    this.#tx = new Uint8Array(this.#maxPacketSize);
    this.#outbox = new Outbox(outboxSize, this.#maxPacketSize);
  }

  // ---- What the application reads ----

  get state(): State { return this.#state; }
  /** The last failure (kept while the client reconnects; the reason a closed client stopped). */
  get error(): MQTTError | undefined { return this.#error; }
  isConnected(): boolean { return this.#state === "connected"; }
  /** CONNACK's Session Present of the current connection. */
  get sessionPresent(): boolean { return this.#sessionPresent; }
  /** Messages dropped from the full outbox (oldest first), since construction. */
  get dropped(): number { return this.#outbox.dropped; }
  /** Messages waiting to be sent (published while offline, or behind a full connection). */
  get queued(): number { return this.#outbox.unsent; }
  /** QoS 1 messages sent and not yet acknowledged. */
  get inflight(): number { return this.#outbox.inflight; }
  /** PUBLISH packets handed to the connection (retransmissions included). */
  get published(): number { return this.#published; }
  /** Retransmissions (DUP set) handed to the connection. */
  get resent(): number { return this.#resent; }
  /** Incoming PUBLISH packets delivered to onMessage. */
  get received(): number { return this.#received; }
  get pingsSent(): number { return this.#pings; }
  get pingResponses(): number { return this.#pingResponses; }
  /** Connections the broker accepted (CONNACK 0), the first included. */
  get connections(): number { return this.#connections; }
  get subscriptions(): readonly Subscription[] { return this.#subscriptions; }

  // ---- What the application does ----

  /** Start connecting (in the background; see ready()). Reconnects after a loss unless reconnectDelay is 0. */
  connect(): void {
    if (this.#state === "closed") throw new MQTTError(MQTT_CLOSED, "client closed: make a new one");
    if (this.#state === "idle") this.#open("connect()");
  }

  /**
   * Queue a message: returns its Packet Identifier (QoS 1) or 0 (QoS 0). It is sent at once when connected and the
   * connection has room, else when it has; it never waits. A full outbox drops its oldest messages (`dropped`).
   */
  publish(topic: string, payload: Uint8Array | string, qos = 0, retain = false): number {
    if (this.#state === "closed") throw new MQTTError(MQTT_CLOSED, "client closed");
    if (qos !== 0 && qos !== 1) throw new MQTTError(MQTT_BAD_ARGUMENT, `QoS ${String(qos)}: this client publishes at QoS 0 or 1`);
    if (topic !== this.#topic) {
      // A topic is checked once, and a short one encoded once: publishing to it again copies its bytes.
      const n = topicNameLength(topic);
      if (n < 0) throw new MQTTError(MQTT_BAD_ARGUMENT, `${JSON.stringify(topic)} is not a topic name (1-65535 bytes, no wildcard, no U+0000)`);
      this.#topic = topic;
      this.#topicLength = n;
      this.#topicEncoded = encodeTopicName(this.#topicBytes, topic) === n ? this.#topicBytes.subarray(0, n) : undefined;
    }
    const size = publishSizeOf(this.#topicLength, payloadLength(payload), qos);
    if (size > this.#maxPacketSize) {
      throw new MQTTError(MQTT_PACKET_TOO_LARGE, `PUBLISH of ${size} bytes exceeds maxPacketSize ${this.#maxPacketSize}`);
    }
    const id = qos ? this.#nextId() : 0;
    const at = this.#outbox.reserve(size, qos, id);
    writePublish(this.#outbox.storage, at, size, this.#topicEncoded ?? topic, this.#topicLength, payload, qos, retain === true, false, id);
    if (this.#state === "connected" && this.#conn) this.#flushSafe(this.#conn);
    return id;
  }

  /** Subscribe; resolves with the granted QoS. Rejects MQTT_SUBSCRIBE_REFUSED (SUBACK 0x80), MQTT_TIMEOUT, ... */
  subscribe(filter: string, qos: number, timeoutMs: number): Promise<number> {
    const problem = this.#checkRequest(filter, timeoutMs);
    if (problem) return Promise.reject(problem);
    if (qos !== 0 && qos !== 1) return Promise.reject(new MQTTError(MQTT_BAD_ARGUMENT, `QoS ${String(qos)}: this client subscribes at QoS 0 or 1`));
    const known = this.#subscriptions.some((s) => s.topic === filter);
    if (!known && this.#subscriptions.length >= this.#maxSubscriptions) {
      return Promise.reject(new MQTTError(MQTT_BUSY, `at most ${this.#maxSubscriptions} subscriptions (maxSubscriptions)`));
    }
    const all = known ? this.#subscriptions : this.#subscriptions.concat([{ topic: filter, qos }]);
    const size = subscribeSize(all);
    if (size > this.#maxPacketSize) {
      return Promise.reject(new MQTTError(MQTT_PACKET_TOO_LARGE, `renewing ${all.length} subscriptions takes a SUBSCRIBE of ${size} bytes, over maxPacketSize ${this.#maxPacketSize}`));
    }
    return this.#request(SUBSCRIBE_TYPE, filter, qos, timeoutMs);
  }

  /** Unsubscribe; resolves on UNSUBACK. */
  unsubscribe(filter: string, timeoutMs: number): Promise<void> {
    const problem = this.#checkRequest(filter, timeoutMs);
    if (problem) return Promise.reject(problem);
    const size = unsubscribeSize([filter]);
    if (size > this.#maxPacketSize) return Promise.reject(new MQTTError(MQTT_PACKET_TOO_LARGE, `UNSUBSCRIBE of ${size} bytes exceeds maxPacketSize`));
    return this.#request(UNSUBSCRIBE_TYPE, filter, 0, timeoutMs);
  }

  /** Resolves once connected (at once if so); rejects MQTT_TIMEOUT (with the last failure), or the reason it closed. */
  ready(timeoutMs: number): Promise<void> {
    return this.#wait(READY, timeoutMs);
  }

  /** Resolves once the outbox is empty (every message written, every QoS 1 one acknowledged); rejects MQTT_TIMEOUT. */
  flushed(timeoutMs: number): Promise<void> {
    return this.#wait(FLUSHED, timeoutMs);
  }

  /**
   * Resolves "change" at the next event (a state change, a message, an acknowledgement), or "timeout"; "closed" at
   * once when the client is closed (nothing will change again: a loop on wait() must stop there).
   */
  wait(timeoutMs: number): Promise<WaitResult> {
    return this.#wait(CHANGE, timeoutMs);
  }

  /**
   * Leave cleanly: DISCONNECT after what is being written (the broker then discards the will), wait up to timeoutMs
   * for the connection to pass it on, then close. Unsent messages stay unsent.
   */
  async disconnect(timeoutMs = 2000): Promise<void> {
    const conn = this.#conn;
    if (this.#state !== "connected" || !conn) {
      this.close();
      return;
    }
    if (typeof timeoutMs !== "number" || !(timeoutMs >= 0)) throw new MQTTError(MQTT_BAD_ARGUMENT, "a timeout in ms >= 0 is required");
    this.#disconnectWanted = true;
    this.#flushSafe(conn);
    // The deadline is a timer that closes the connection, which ends the wait below (no clock is read: a board's
    // clock jumps when SNTP sets it).
    let expired = false;
    const deadline = Timer.set(() => {
      expired = true;
      this.close();
    }, timeoutMs);
    while (this.#conn === conn && !(this.#disconnectSent && this.#txSent === this.#txLength && (conn.pending ?? 0) === 0)) {
      try {
        await conn.wait(timeoutMs, "any");
      } catch {
        break;
      }
    }
    if (!expired) Timer.clear(deadline);
    if (this.#disconnectSent && !expired) trace(`${this.#tag}: DISCONNECT sent\n`);
    this.close();
  }

  /**
   * Close at once, without DISCONNECT (the broker publishes the will, if there is one). Final: pending requests and
   * waits are rejected with MQTT_CLOSED.
   */
  close(): void {
    if (this.#state === "closed") return;
    this.#dropConnection();
    if (this.#backoffTimer) Timer.clear(this.#backoffTimer);
    this.#backoffTimer = undefined;
    this.#to("closed", "closed by the application");
    this.#closedBy = new MQTTError(MQTT_CLOSED, "client closed by the application");
    this.#finish(this.#closedBy);
  }

  // ---- Connection lifecycle ----

  #to(next: State, why: string): boolean {
    const from = this.#state;
    if (TRANSITIONS[from].indexOf(next) < 0) {
      trace(`${this.#tag}: refused transition ${from} -> ${next} (${why})\n`);
      return false;
    }
    this.#state = next;
    trace(`${this.#tag}: ${from} -> ${next} (${why})\n`);
    if (this.#onState) this.#onState(next, why);
    return true;
  }

  #open(why: string): void {
    if (!this.#to("opening", why)) return;
    this.#backoffTimer = undefined;
    this.#connectTimer = Timer.set(() => {
      this.#connectTimer = undefined;
      this.#lost(new MQTTError(MQTT_TIMEOUT, `no CONNACK within connectTimeout ${this.#connectTimeout} ms`));
    }, this.#connectTimeout);
    let conn: Connection;
    try {
      conn = this.#transport();
    } catch (error) {
      this.#lost(new MQTTError(MQTT_TRANSPORT, `the transport refused to open a connection: ${describe(error)}`), true);
      return;
    }
    this.#conn = conn;
    this.#pump(conn).catch((error) => this.#lost(new MQTTError(MQTT_TRANSPORT, `pump: ${describe(error)}`)));
  }

  /** Drive one connection: service it, then wait on it for the next change. One pump per connection. */
  async #pump(conn: Connection): Promise<void> {
    while (this.#conn === conn) {
      this.#step(conn);
      if (this.#conn !== conn) return;
      try {
        await conn.wait(PUMP_WAIT, this.#rxHeld ? "writable" : "any");
      } catch (error) {
        if (this.#conn === conn) this.#lost(this.#transportError(error));
        return;
      }
    }
  }

  #step(conn: Connection): void {
    try {
      if (this.#state === "opening") {
        if (conn.error) throw conn.error;
        if (!conn.isOpen()) return;
        this.#opened(conn);
      }
      for (;;) {
        this.#receive(conn);
        const held = this.#rxHeld;
        this.#flush(conn);
        // Held packets wait for room for their PUBACKs: when writing made some, handle them now.
        if (this.#conn !== conn || !held || this.#rxHeld) break;
      }
    } catch (error) {
      if (this.#conn === conn) this.#lost(this.#transportError(error));
    }
  }

  /** The connection is open: CONNECT goes first. */
  #opened(conn: Connection): void {
    this.#to("connecting", "connection open, CONNECT sent");
    this.#txLength = encodeConnect(this.#tx, 0, this.#connectFields);
    this.#txSent = 0;
    this.#flush(conn);
  }

  #transportError(error: unknown): MQTTError {
    if (error instanceof MQTTError) return error;
    if (this.#state === "opening") return new MQTTError(MQTT_TRANSPORT, `cannot open the connection: ${describe(error)}`);
    return new MQTTError(MQTT_CONNECTION_LOST, `the connection ended: ${describe(error)}`);
  }

  /** The connection is gone (or never came): log why, then back off and reconnect, or close for good. */
  #lost(error: MQTTError, permanent = false): void {
    if (this.#state === "closed" || this.#state === "idle" || this.#state === "backoff") return;
    if (this.#disconnectWanted) {
      this.close(); // the broker closes after our DISCONNECT: that is the end we asked for
      return;
    }
    this.#error = error;
    trace(`${this.#tag}: ${error.code} ${error.message}\n`);
    this.#dropConnection();
    if (permanent || this.#reconnectDelay === 0) {
      this.#to("closed", permanent ? "not worth retrying" : "reconnectDelay is 0");
      this.#closedBy = error;
      this.#finish(error);
      return;
    }
    const delay = this.#delay;
    this.#delay = Math.min(this.#delay * 2, this.#maxReconnectDelay);
    this.#to("backoff", `reconnecting in ${delay} ms`);
    this.#backoffTimer = Timer.set(() => this.#open("reconnecting"), delay);
    this.#notify();
  }

  /** Release the connection and its timers; keep what must survive a reconnect (outbox, subscriptions, requests). */
  #dropConnection(): void {
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn) {
      try {
        conn.close();
      } catch {
        // already closed: nothing to release
      }
    }
    if (this.#connectTimer) Timer.clear(this.#connectTimer);
    if (this.#tickTimer) Timer.clear(this.#tickTimer);
    this.#connectTimer = this.#tickTimer = undefined;
    this.#rxHave = 0;
    this.#rxHeld = false;
    this.#txLength = this.#txSent = 0;
    this.#pubackHead = this.#pubackCount = 0; // the broker resends unacknowledged QoS 1 with DUP on a kept session
    this.#pingWanted = this.#pingOutstanding = false;
    this.#disconnectWanted = this.#disconnectSent = false;
    this.#resubscribeWanted = false;
    this.#resubscribeId = 0;
    this.#sessionPresent = false;
    for (const r of this.#requests) if (r) r.sent = false;
    this.#outbox.rewind();
  }

  /** The client is closed: every request and wait ends with `error`. */
  #finish(error: MQTTError): void {
    for (let i = 0; i < MAX_REQUESTS; i++) {
      const r = this.#requests[i];
      if (!r) continue;
      this.#requests[i] = undefined;
      if (r.timer) Timer.clear(r.timer);
      r.reject(error);
    }
    this.#notify();
    this.#waits.stop();
  }

  // ---- Receiving ----

  #receive(conn: Connection): void {
    const rx = this.#rx;
    for (;;) {
      let n = 0;
      if (!this.#rxHeld && this.#rxHave < rx.length) {
        n = conn.read(rx, this.#rxHave, rx.length - this.#rxHave);
        this.#rxHave += n;
      }
      this.#parse(conn);
      if (this.#conn !== conn || this.#rxHeld || n === 0) return;
    }
  }

  /** Handle every whole packet in the receive buffer, then move what is left of the next one to its start. */
  #parse(conn: Connection): void {
    const rx = this.#rx;
    const packet = this.#packet;
    this.#rxHeld = false;
    let at = 0;
    while (at < this.#rxHave) {
      const status = decode(rx, at, this.#rxHave - at, packet, this.#maxPacketSize);
      if (status === NEED_MORE) break;
      if (status === BAD_PACKET) {
        this.#lost(new MQTTError(MQTT_BAD_PACKET, `bad packet from the broker: ${packet.reason}`));
        return;
      }
      if (status === TOO_LARGE) {
        this.#lost(new MQTTError(MQTT_PACKET_TOO_LARGE, `the broker sent a packet over maxPacketSize: ${packet.reason}`));
        return;
      }
      if (!this.#handle(packet)) {
        this.#rxHeld = true; // PUBACKs must be written first
        break;
      }
      if (this.#conn !== conn) return;
      at += packet.size;
    }
    if (at > 0) {
      rx.copyWithin(0, at, this.#rxHave);
      this.#rxHave -= at;
    }
  }

  /** One packet from the broker; false leaves it for later (no room for its PUBACK yet). */
  #handle(p: Packet): boolean {
    const type = p.type;
    if (this.#state === "connecting" && type !== CONNACK) {
      this.#lost(new MQTTError(MQTT_PROTOCOL, `the broker's first packet was ${PACKET_TYPE_NAMES[type]}, not CONNACK (MQTT-3.2.0-1)`));
      return true;
    }
    switch (type) {
      case CONNACK:
        if (this.#state !== "connecting") {
          this.#lost(new MQTTError(MQTT_PROTOCOL, "a second CONNACK"));
          return true;
        }
        this.#connack(p);
        return true;
      case PUBLISH:
        return this.#incoming(p);
      case PUBACK:
        if (!this.#outbox.acknowledge(p.packetId)) trace(`${this.#tag}: PUBACK ${p.packetId} matches no message in flight (dropped, or acknowledged before)\n`);
        else if (this.#onAck) this.#onAck(p.packetId);
        this.#notify();
        return true;
      case SUBACK:
        this.#suback(p);
        return true;
      case UNSUBACK:
        this.#unsuback(p);
        return true;
      case PINGRESP:
        this.#pingOutstanding = false;
        this.#pingTicks = 0;
        this.#pingResponses++;
        return true;
      default:
        this.#lost(new MQTTError(MQTT_PROTOCOL, `a broker does not send ${PACKET_TYPE_NAMES[type]} to a client that publishes and subscribes at QoS 0-1`));
        return true;
    }
  }

  #connack(p: Packet): void {
    if (this.#connectTimer) Timer.clear(this.#connectTimer);
    this.#connectTimer = undefined;
    const code = p.returnCode;
    if (code !== CONNECTION_ACCEPTED) {
      // Only "Server unavailable" may pass; the others need a change on one side or the other.
      this.#lost(new MQTTError(MQTT_CONNECT_REFUSED, `CONNACK ${code}: ${connectReturnCodeName(code)}`), code !== CONNECTION_REFUSED_SERVER_UNAVAILABLE);
      return;
    }
    this.#sessionPresent = p.sessionPresent;
    this.#connections++;
    this.#delay = this.#reconnectDelay;
    this.#error = undefined;
    if (!p.sessionPresent && this.#subscriptions.length > 0) this.#resubscribeWanted = true;
    if (this.#keepAlive > 0) {
      this.#idleTicks = this.#pingTicks = 0;
      this.#tickTimer = Timer.repeat(() => this.#tick(), Math.max(1, Math.floor(this.#keepAlive * 1000 / TICKS_PER_KEEP_ALIVE)));
    }
    const resend = this.#outbox.unsent;
    this.#to("connected", `CONNACK 0, session ${p.sessionPresent ? "present" : "new"}${resend ? `, ${resend} messages to send` : ""}`);
    this.#notify();
  }

  #incoming(p: Packet): boolean {
    if (p.qos === 2) {
      this.#lost(new MQTTError(MQTT_PROTOCOL, "a QoS 2 PUBLISH, but this client never subscribes at QoS 2 (MQTT-3.8.4-6)"));
      return true;
    }
    if (p.qos === 1 && this.#pubackCount === MAX_PUBACKS) return false;
    this.#received++;
    const rx = this.#rx;
    const callback = this.#onMessage;
    if (callback) {
      try {
        callback(readString(rx, p.topicOffset, p.topicLength), rx.subarray(p.payloadOffset, p.payloadOffset + p.payloadLength), p.qos, p.retain, p.dup);
      } catch (error) {
        trace(`${this.#tag}: onMessage threw ${describe(error)}\n`);
      }
    }
    if (p.qos === 1 && this.#conn) {
      this.#pubacks[(this.#pubackHead + this.#pubackCount) % MAX_PUBACKS] = p.packetId;
      this.#pubackCount++;
    }
    this.#notify();
    return true;
  }

  #suback(p: Packet): void {
    const rx = this.#rx;
    if (p.packetId === this.#resubscribeId && this.#resubscribeId !== 0) {
      this.#resubscribeId = 0;
      if (p.count !== this.#resubscribeCount) {
        this.#lost(new MQTTError(MQTT_PROTOCOL, `SUBACK with ${p.count} return codes for ${this.#resubscribeCount} topic filters (MQTT-3.8.4-5)`));
        return;
      }
      for (let i = 0; i < p.count && i < this.#subscriptions.length; i++) {
        if (rx[p.payloadOffset + i] === SUBACK_FAILURE) {
          trace(`${this.#tag}: ${MQTT_SUBSCRIBE_REFUSED} renewing the subscription to ${this.#subscriptions[i]!.topic} failed (SUBACK 0x80)\n`);
        }
      }
      return;
    }
    const r = this.#take(SUBSCRIBE_TYPE, p.packetId);
    if (!r) {
      trace(`${this.#tag}: SUBACK ${p.packetId} matches no SUBSCRIBE (timed out before)\n`);
      return;
    }
    if (p.count !== 1) {
      r.reject(new MQTTError(MQTT_PROTOCOL, `SUBACK with ${p.count} return codes for one topic filter`));
      this.#lost(new MQTTError(MQTT_PROTOCOL, `SUBACK with ${p.count} return codes for one topic filter (MQTT-3.8.4-5)`));
      return;
    }
    const code = rx[p.payloadOffset]!;
    if (code === SUBACK_FAILURE) {
      r.reject(new MQTTError(MQTT_SUBSCRIBE_REFUSED, `the broker refused the subscription to ${r.filter} (SUBACK 0x80 Failure)`));
    } else {
      const known = this.#subscriptions.find((s) => s.topic === r.filter);
      if (known) known.qos = r.qos;
      else if (this.#subscriptions.length < this.#maxSubscriptions) this.#subscriptions.push({ topic: r.filter, qos: r.qos });
      r.resolve(code);
    }
    this.#notify();
  }

  #unsuback(p: Packet): void {
    const r = this.#take(UNSUBSCRIBE_TYPE, p.packetId);
    if (!r) {
      trace(`${this.#tag}: UNSUBACK ${p.packetId} matches no UNSUBSCRIBE (timed out before)\n`);
      return;
    }
    const i = this.#subscriptions.findIndex((s) => s.topic === r.filter);
    if (i >= 0) this.#subscriptions.splice(i, 1);
    r.resolve(undefined);
    this.#notify();
  }

  // ---- Sending ----

  #flushSafe(conn: Connection): void {
    try {
      this.#flush(conn);
    } catch (error) {
      if (this.#conn === conn) this.#lost(this.#transportError(error));
    }
  }

  /** Write what the connection takes: the rest of the packet under way, then control packets, then the outbox. */
  #flush(conn: Connection): void {
    if (this.#conn !== conn || this.#state === "opening") return;
    const outbox = this.#outbox;
    for (;;) {
      if (this.#txSent < this.#txLength) {
        this.#txSent += conn.write(this.#tx, this.#txSent, this.#txLength - this.#txSent);
        if (this.#txSent < this.#txLength) return;
        this.#txSent = this.#txLength = 0;
        this.#idleTicks = 0;
        if (this.#rxHeld) this.#rxHeld = false; // room for PUBACKs again: the pump reads on
      }
      if (this.#disconnectSent) return;
      if (this.#nextControl()) continue;
      if (this.#state !== "connected" || this.#disconnectWanted) return;
      const r = outbox.nextUnsent();
      if (r < 0) return;
      const at = outbox.packetOffset(r);
      const length = outbox.packetLength(r);
      const storage = outbox.storage;
      if (storage[at]! & PUBLISH_FLAG_DUP) this.#resent++;
      const n = conn.write(storage, at, length);
      outbox.markSent(r);
      this.#published++;
      if (n < length) {
        // The connection took part of it: the rest goes from the transmit buffer, so the record may be dropped.
        this.#tx.set(storage.subarray(at + n, at + length), 0);
        this.#txLength = length - n;
        this.#txSent = 0;
        this.#notify();
        return;
      }
      this.#idleTicks = 0;
      this.#notify();
    }
  }

  /** Encode the next control packet into the transmit buffer (it is empty); false when there is none. */
  #nextControl(): boolean {
    if (this.#state !== "connected") return false;
    const tx = this.#tx;
    if (this.#pubackCount > 0) {
      this.#txLength = encodePuback(tx, 0, this.#pubacks[this.#pubackHead]!);
      this.#pubackHead = (this.#pubackHead + 1) % MAX_PUBACKS;
      this.#pubackCount--;
      return true;
    }
    if (this.#pingWanted) {
      this.#pingWanted = false;
      this.#pings++;
      this.#txLength = encodePingreq(tx, 0);
      return true;
    }
    if (this.#disconnectWanted) {
      this.#disconnectSent = true;
      this.#txLength = encodeDisconnect(tx, 0);
      return true;
    }
    if (this.#resubscribeWanted) {
      this.#resubscribeWanted = false;
      this.#resubscribeId = this.#nextId();
      this.#resubscribeCount = this.#subscriptions.length;
      this.#txLength = encodeSubscribe(tx, 0, this.#resubscribeId, this.#subscriptions);
      trace(`${this.#tag}: renewing ${this.#resubscribeCount} subscriptions (the session was not kept)\n`);
      return true;
    }
    const requests = this.#requests;
    for (let i = 0; i < MAX_REQUESTS; i++) {
      const r = requests[i];
      if (!r || r.sent) continue;
      r.sent = true;
      this.#txLength = r.kind === SUBSCRIBE_TYPE
        ? encodeSubscribe(tx, 0, r.id, [{ topic: r.filter, qos: r.qos }])
        : encodeUnsubscribe(tx, 0, r.id, [r.filter]);
      return true;
    }
    return false;
  }

  #tick(): void {
    const conn = this.#conn;
    if (!conn || this.#state !== "connected") return;
    if (this.#pingOutstanding) {
      if (++this.#pingTicks >= TICKS_PER_KEEP_ALIVE) {
        this.#lost(new MQTTError(MQTT_PING_TIMEOUT, `no PINGRESP within the keep-alive of ${this.#keepAlive} s`));
      }
      return;
    }
    if (++this.#idleTicks >= PING_AFTER_IDLE_TICKS) {
      this.#idleTicks = 0;
      this.#pingTicks = 0;
      this.#pingWanted = this.#pingOutstanding = true;
      this.#flushSafe(conn);
    }
  }

  #nextId(): number {
    this.#lastId = this.#lastId >= 0xffff ? 1 : this.#lastId + 1;
    return this.#lastId;
  }

  // ---- Requests (SUBSCRIBE / UNSUBSCRIBE) and waits ----

  #checkRequest(filter: string, timeoutMs: number): MQTTError | undefined {
    if (this.#state === "closed") return new MQTTError(MQTT_CLOSED, "client closed");
    if (!validTopicFilter(filter)) return new MQTTError(MQTT_BAD_ARGUMENT, `${JSON.stringify(filter)} is not a topic filter`);
    if (typeof timeoutMs !== "number" || !(timeoutMs > 0)) return new MQTTError(MQTT_BAD_ARGUMENT, "a timeout in ms > 0 is required");
    return undefined;
  }

  #request(kind: number, filter: string, qos: number, timeoutMs: number): Promise<any> {
    const slot = this.#requests.indexOf(undefined);
    if (slot < 0) return Promise.reject(new MQTTError(MQTT_BUSY, `at most ${MAX_REQUESTS} SUBSCRIBE/UNSUBSCRIBE requests at once`));
    return new Promise((resolve, reject) => {
      const r: Request = { kind, id: this.#nextId(), filter, qos, sent: false, resolve, reject, timer: undefined };
      r.timer = Timer.set(() => {
        r.timer = undefined;
        const i = this.#requests.indexOf(r);
        if (i >= 0) this.#requests[i] = undefined;
        reject(new MQTTError(MQTT_TIMEOUT, `no ${kind === SUBSCRIBE_TYPE ? "SUBACK" : "UNSUBACK"} for ${filter} within ${timeoutMs} ms (state ${this.#state})`));
      }, timeoutMs);
      this.#requests[slot] = r;
      if (this.#state === "connected" && this.#conn) this.#flushSafe(this.#conn);
    });
  }

  #take(kind: number, id: number): Request | undefined {
    for (let i = 0; i < MAX_REQUESTS; i++) {
      const r = this.#requests[i];
      if (r && r.kind === kind && r.id === id) {
        this.#requests[i] = undefined;
        if (r.timer) Timer.clear(r.timer);
        return r;
      }
    }
    return undefined;
  }

  #wait(kind: number, timeoutMs: number): Promise<any> {
    if (typeof timeoutMs !== "number" || !(timeoutMs >= 0)) return Promise.reject(new MQTTError(MQTT_BAD_ARGUMENT, "a timeout in ms >= 0 is required"));
    if (kind !== CHANGE) {
      const verdict = this.#judge(kind);
      if (verdict === true) return Promise.resolve();
      if (verdict) return Promise.reject(verdict);
    } else if (this.#state === "closed") return Promise.resolve("closed");
    return this.#waits.add(kind, timeoutMs) ?? Promise.reject(new MQTTError(MQTT_BUSY, `at most ${MAX_WAITERS} waits at once`));
  }

  /** A wait's time is up: CHANGE resolves "timeout", READY and FLUSHED fail with what was missing. */
  #expired(w: Wait<number, any>): void {
    if (w.kind === CHANGE) w.resolve("timeout");
    else w.reject(this.#timeoutError(w.kind, w.timeoutMs));
  }

  #timeoutError(kind: number, timeoutMs: number): MQTTError {
    const last = this.#error ? `; last failure ${this.#error.code}: ${this.#error.message}` : "";
    return kind === READY
      ? new MQTTError(MQTT_TIMEOUT, `not connected within ${timeoutMs} ms (state ${this.#state}${last})`)
      : new MQTTError(MQTT_TIMEOUT, `outbox not flushed within ${timeoutMs} ms: ${this.#outbox.unsent} unsent, ${this.#outbox.inflight} awaiting PUBACK (state ${this.#state}${last})`);
  }

  /** true: the wait is over; an error: it failed; undefined: keep waiting. */
  #judge(kind: number): true | MQTTError | undefined {
    if (kind === READY && this.#state === "connected") return true;
    if (kind === FLUSHED && this.#outbox.count === 0 && this.#txSent === this.#txLength) return true;
    if (kind === CHANGE) return true;
    if (this.#state === "closed") return this.#closedBy ?? new MQTTError(MQTT_CLOSED, "client closed");
    return undefined;
  }

  #notify(): void {
    if (this.#waits.count > 0) this.#waits.settle(this.#ends);
  }

  /** Ends a wait its verdict is in for (#judge). */
  readonly #ends = (w: Wait<number, any>): boolean => {
    const verdict = this.#judge(w.kind);
    if (verdict === undefined) return false;
    if (verdict === true) w.resolve(w.kind === CHANGE ? "change" : undefined);
    else w.reject(verdict);
    return true;
  };
}

/** Build a client; connect() starts it. Bad options throw MQTT_BAD_ARGUMENT. */
export function createClient(options: ClientOptions): MQTTClient {
  return new MQTTClient(options);
}

export type { MQTTErrorCode };
