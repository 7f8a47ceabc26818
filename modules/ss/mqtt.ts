// The mqtt protocol for Secure Streams: the policy's mqtt_* fields mapped onto modules/mqtt's MQTTClient, as lws'
// ss-mqtt.c maps them onto its own client (lib/secure-streams/protocols/ss-mqtt.c, v4.4.5; read, not copied).
//
// One MQTTClient per stream, made with the stream and kept for its life, so its fixed outbox survives every
// reconnection: a tx payload is taken into the outbox at once (requestTx() -> the owner's tx -> publish()), also
// while the stream has no connection; when the outbox is full its oldest messages are dropped and counted. The
// stream keeps owning the connection (endpoint, TLS, the policy's retry table); the client sees each of the
// stream's connections through a Pipe, a Connection of fixed rings that the stream's pump feeds and drains.
//
// Policy -> client:
//   mqtt_topic (${metadata})        the topic every tx payload is published to
//   mqtt_qos                        its QoS (2 is published at 1: the client has QoS 0 and 1)
//   mqtt_retain                     RETAIN on tx publishes
//   mqtt_subscribe (${metadata})    subscribed at the first CONNACK (the client renews it after a lost session)
//   mqtt_keep_alive                 keepAlive (seconds)
//   mqtt_clean_start                cleanSession
//   mqtt_will_*                     the CONNECT's will;  mqtt_birth_*: published after every CONNACK
//   metadata "clientid", "username", "password" (when the stream type declares them): CONNECT's fields; without a
//   "clientid" the client id is "ss-" + the stream type's name.
//
// States, as lws' mqtt sequence (peers.md): CONNECTED after the CONNACK (not at the TLS handshake), then for each
// PUBACK of a tx message QOS_ACK_REMOTE; an incoming PUBLISH on the subscription is one rx with SOM|EOM, its topic in
// the metadata item "topic" when the stream type declares one. The number of messages the outbox dropped is in
// the metadata item "dropped" when declared (updated before every tx call), so an app can publish it.
import { Waits } from "waits";
import { MQTTClient, type Connection, type State } from "mqtt/client";
import {
  LWSSSCS_CONNECTED, LWSSSCS_QOS_ACK_REMOTE, LWSSSSRET_OK, LWSSS_FLAG_SOM, LWSSS_FLAG_EOM, LWS_SS_MTU,
} from "ss/constants";
import { TX_HEADROOM, type Link, type Protocol, type ProtocolFactory, type TxOut } from "ss/protocol";

export interface MqttOptions {
  /** Bytes of each stream's outbox ring (default 8192). */
  outboxSize?: number;
  /** Largest MQTT packet either way (default LWS_SS_MTU + 256). */
  maxPacketSize?: number;
  /** The client's connect timeout: from asking for a connection to its CONNACK (default 60000 ms; the stream's
   * own connect timeout and retry table govern the connection itself). */
  connectTimeoutMs?: number;
  /** Subscribe request timeout (default 10000 ms). */
  subscribeTimeoutMs?: number;
}

const MAX_WAITERS = 4;

/** A fixed ring of bytes. */
class Ring {
  readonly buf: Uint8Array;
  head = 0; // next byte to read
  count = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  get free(): number { return this.buf.length - this.count; }
  put(src: Uint8Array, at: number, len: number): number {
    const buf = this.buf, size = buf.length;
    const free = size - this.count;
    const n = len < free ? len : free;
    if (n <= 0) return 0;
    let tail = this.head + this.count;
    if (tail >= size) tail -= size;
    const first = size - tail; // room before the end of the storage
    if (n <= first) buf.set(src.subarray(at, at + n), tail);
    else {
      buf.set(src.subarray(at, at + first), tail);
      buf.set(src.subarray(at + first, at + n), 0);
    }
    this.count += n;
    return n;
  }
  take(into: Uint8Array, at: number, len: number): number {
    const buf = this.buf, size = buf.length, head = this.head;
    const n = len < this.count ? len : this.count;
    if (n <= 0) return 0;
    const first = size - head; // bytes before the end of the storage
    if (n <= first) into.set(buf.subarray(head, head + n), at);
    else {
      into.set(buf.subarray(head, size), at);
      into.set(buf.subarray(0, n - first), at + first);
    }
    this.count -= n;
    this.head = this.count === 0 ? 0 : head + n >= size ? head + n - size : head + n;
    return n;
  }
}

/** One of the stream's connections as the MQTTClient sees it: fixed rx and tx rings, a wait with a timeout. */
class Pipe implements Connection {
  state: "waiting" | "open" | "closed" = "waiting";
  error: Error | undefined;
  readonly rx: Ring;
  readonly tx: Ring;
  /** Bytes of tx handed to the stream (Link.send) and not yet known taken. */
  staged = 0;
  readonly #owner: Mqtt;
  readonly #waits = new Waits<number, string>(MAX_WAITERS, (w) => w.resolve("timeout"));

  constructor(owner: Mqtt, rx: Ring, tx: Ring) {
    this.#owner = owner;
    this.rx = rx;
    this.tx = tx;
    rx.head = rx.count = 0;
    tx.head = tx.count = 0;
  }

  get pending(): number { return this.tx.count; }
  isOpen(): boolean { return this.state === "open"; }

  read(into: Uint8Array, offset: number, length: number): number {
    if (this.rx.count > 0) return this.rx.take(into, offset, length);
    if (this.state === "closed") throw this.error ?? new Error("connection closed");
    return 0;
  }

  write(bytes: Uint8Array, offset: number, length: number): number {
    if (this.state === "closed") throw this.error ?? new Error("connection closed");
    if (this.state !== "open") return 0;
    const n = this.tx.put(bytes, offset, length);
    if (n > 0) this.#owner.wantWrite(this);
    return n;
  }

  wait(timeoutMs: number): Promise<string> {
    if (this.state === "closed") return Promise.resolve("closed");
    return this.#waits.add(0, timeoutMs > 0 ? timeoutMs : 1) ?? Promise.resolve("busy");
  }

  notify(why: string): void {
    this.#waits.resolveAll(why);
  }

  /** The stream's connection ended, or the client let go of this pipe. */
  end(reason: string): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.error = new Error(reason);
    this.notify("closed");
    this.#waits.stop();
  }

  close(): void {
    if (this.state === "closed") return;
    this.end("closed by the mqtt client");
    this.#owner.pipeClosed(this);
  }
}

function metadataIndex(link: Link, name: string): number {
  const items = link.type.metadata;
  for (let i = 0; i < items.length; i++) if (items[i]!.name === name) return i;
  return -1;
}

class Mqtt implements Protocol {
  readonly #link: Link;
  #client: MQTTClient | undefined;
  readonly #options: MqttOptions;
  readonly #maxPacketSize: number;
  readonly #rx: Ring;
  readonly #tx: Ring;
  readonly #out: TxOut = { len: 0, flags: 0 };
  readonly #qos: number;
  readonly #topicIndex: number;
  readonly #droppedIndex: number;
  readonly #subscribeTimeout: number;
  #pipe: Pipe | undefined;
  /** The stream's connection is open (between open() and ended()). */
  #open = false;
  #subscribed = false;
  #destroyed = false;
  // Events from inside the client, delivered to the stream in a promise job.
  #acks = 0;
  #connectedWanted = false;
  #deliverScheduled = false;
  #txWanted = 0;
  #txScheduled = false;
  readonly #deliverJob = () => this.#deliver();
  readonly #txJob = () => this.#pullTx();

  constructor(link: Link, options: MqttOptions) {
    this.#link = link;
    const m = link.type.mqtt!;
    const maxPacketSize = options.maxPacketSize ?? LWS_SS_MTU + 256;
    this.#rx = new Ring(2 * maxPacketSize + LWS_SS_MTU);
    this.#tx = new Ring(2 * maxPacketSize);
    this.#qos = m.qos > 1 ? 1 : m.qos;
    if (m.qos > 1) link.log("mqtt_qos 2 is published at QoS 1 (this client has QoS 0 and 1)");
    this.#topicIndex = metadataIndex(link, "topic");
    this.#droppedIndex = metadataIndex(link, "dropped");
    this.#subscribeTimeout = options.subscribeTimeoutMs ?? 10000;
    this.#options = options;
    this.#maxPacketSize = maxPacketSize;
  }

  /** The client, made at the first connection or tx (after CREATING, so the owner's metadata is in its CONNECT). */
  #ensureClient(): MQTTClient {
    if (this.#client) return this.#client;
    const link = this.#link, options = this.#options, m = link.type.mqtt!;
    const value = (name: string) => {
      const i = metadataIndex(link, name);
      const v = i >= 0 ? link.metadata(i) : undefined;
      return v !== undefined && v.length > 0 ? v : undefined;
    };
    const will = m.will
      ? { topic: this.#expand(m.will.topic), message: m.will.message, qos: m.will.qos > 1 ? 1 : m.will.qos, retain: m.will.retain }
      : undefined;
    this.#client = new MQTTClient({
      transport: () => this.#newPipe(),
      clientId: value("clientid") ?? `ss-${link.type.name}`,
      cleanSession: m.cleanStart,
      keepAlive: m.keepAlive,
      userName: value("username"),
      password: value("password"),
      will,
      maxPacketSize: this.#maxPacketSize,
      outboxSize: options.outboxSize ?? 8192,
      connectTimeout: options.connectTimeoutMs ?? 60000,
      // The stream backs off by the policy's retry table; the client only waits for the stream's next connection.
      reconnectDelay: 10,
      maxReconnectDelay: 10,
      tag: `ss: ${link.tag}: mqtt`,
      onMessage: (topic, payload) => this.#message(topic, payload),
      onAck: () => this.#event(true),
      onState: (state: State) => { if (state === "connected") this.#event(false); },
    });
    this.#client.connect();
    return this.#client;
  }

  #expand(template: string): string {
    let at = template.indexOf("${");
    if (at < 0) return template;
    let out = "", from = 0;
    while (at >= 0) {
      const end = template.indexOf("}", at + 2);
      if (end < 0) break;
      out += template.slice(from, at);
      const i = metadataIndex(this.#link, template.slice(at + 2, end));
      out += i >= 0 ? this.#link.metadata(i) ?? "" : "";
      from = end + 1;
      at = template.indexOf("${", from);
    }
    return out + template.slice(from);
  }

  // ---- The client's side ----

  #newPipe(): Connection {
    const pipe = new Pipe(this, this.#rx, this.#tx);
    this.#pipe = pipe;
    if (this.#open) {
      pipe.state = "open";
    }
    return pipe;
  }

  /** The client closed its pipe (a ping timeout, a bad packet, no CONNACK): the stream's connection goes too. */
  pipeClosed(pipe: Pipe): void {
    if (this.#pipe !== pipe) return;
    this.#pipe = undefined;
    if (this.#open && !this.#destroyed) {
      // What the client reported before it let go (a CONNACK, PUBACKs) reaches the owner first, as lws gives each
      // state when its packet is read: a good CONNACK followed by garbage in the same read is CONNECTED, then lost.
      if (this.#deliverScheduled) this.#deliver();
      if (!this.#open || this.#destroyed) return;
      const why = this.#client?.error ? `${this.#client.error.code} ${this.#client.error.message}` : "the mqtt client let go";
      this.#open = false;
      this.#link.fail(why);
    }
  }

  wantWrite(pipe: Pipe): void {
    if (pipe === this.#pipe && this.#open) this.#link.kick();
  }

  #event(ack: boolean): void {
    if (ack) this.#acks++;
    else this.#connectedWanted = true;
    if (this.#deliverScheduled) return;
    this.#deliverScheduled = true;
    Promise.resolve().then(this.#deliverJob);
  }

  #deliver(): void {
    this.#deliverScheduled = false;
    if (this.#destroyed || !this.#open) {
      this.#acks = 0;
      this.#connectedWanted = false;
      return;
    }
    const link = this.#link;
    if (this.#connectedWanted) {
      this.#connectedWanted = false;
      link.connected();
      if (!link.state(LWSSSCS_CONNECTED)) return;
      const m = link.type.mqtt!;
      if (m.subscribe.length > 0 && !this.#subscribed) {
        this.#subscribed = true;
        const filter = this.#expand(m.subscribe);
        this.#ensureClient().subscribe(filter, 1, this.#subscribeTimeout).then(
          (granted) => link.log(`subscribed to ${filter} (granted QoS ${granted})`),
          (error: unknown) => {
            this.#subscribed = false;
            link.log(`subscribe ${filter} failed: ${error instanceof Error ? error.message : String(error)}`);
          });
      }
      if (m.birth) this.#ensureClient().publish(this.#expand(m.birth.topic), m.birth.message, m.birth.qos > 1 ? 1 : m.birth.qos, m.birth.retain);
    }
    while (this.#acks > 0) {
      this.#acks--;
      if (!link.state(LWSSSCS_QOS_ACK_REMOTE)) {
        this.#acks = 0;
        return;
      }
    }
  }

  #message(topic: string, payload: Uint8Array): void {
    if (this.#destroyed || !this.#open) return;
    if (this.#topicIndex >= 0) this.#link.peerMetadata(this.#topicIndex, topic);
    this.#link.rx(payload, payload.length, LWSSS_FLAG_SOM | LWSSS_FLAG_EOM);
  }

  // ---- tx: the owner's payloads into the outbox ----

  requested(): boolean {
    if (this.#destroyed) return true;
    this.#txWanted++;
    if (!this.#txScheduled) {
      this.#txScheduled = true;
      Promise.resolve().then(this.#txJob);
    }
    this.#ensureClient();
    return true;
  }

  #pullTx(): void {
    this.#txScheduled = false;
    const link = this.#link;
    const out = this.#out;
    while (this.#txWanted > 0 && !this.#destroyed) {
      this.#txWanted--;
      if (this.#droppedIndex >= 0) link.peerMetadata(this.#droppedIndex, String(this.#ensureClient().dropped));
      const r = link.tx(out);
      if (r !== LWSSSSRET_OK) {
        if (r < 0) this.#txWanted = 0;
        continue;
      }
      const m = link.type.mqtt!;
      try {
        this.#ensureClient().publish(this.#expand(m.topic), link.txFrame.subarray(TX_HEADROOM, TX_HEADROOM + out.len), this.#qos, m.retain);
      } catch (error) {
        link.log(`publish refused: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  // ---- The stream's side ----

  start(): void {
    this.#open = false;
    this.#ensureClient();
  }

  open(): void {
    this.#open = true;
    const pipe = this.#pipe;
    if (pipe && pipe.state === "waiting") {
      pipe.state = "open";
      pipe.notify("open");
    }
    // else: the client asks for a connection after its short reconnect delay, and gets this one open
  }

  received(buf: Uint8Array, len: number): void {
    const pipe = this.#pipe;
    if (!pipe || pipe.state !== "open") return; // nothing of the client's is on this connection yet
    if (pipe.rx.put(buf, 0, len) < len) {
      this.#link.fail(`mqtt: more than ${pipe.rx.buf.length} bytes received and not yet read`);
      return;
    }
    pipe.notify("readable");
  }

  wantsWritable(): boolean {
    const pipe = this.#pipe;
    if (!pipe) return false;
    if (pipe.staged > 0) {
      // The stream takes what was sent before it calls wantsWritable() again with room: release it.
      const tx = pipe.tx;
      tx.head = (tx.head + pipe.staged) % tx.buf.length;
      tx.count -= pipe.staged;
      if (tx.count === 0) tx.head = 0;
      pipe.staged = 0;
      pipe.notify("writable");
    }
    return pipe.state === "open" && pipe.tx.count > 0;
  }

  writable(): void {
    const pipe = this.#pipe;
    if (!pipe) return;
    const tx = pipe.tx;
    const run = Math.min(tx.count, tx.buf.length - tx.head);
    pipe.staged = run;
    this.#link.send(tx.buf, tx.head, tx.head + run);
  }

  closed(): string {
    return "closed by the broker";
  }

  ended(): void {
    this.#open = false;
    const pipe = this.#pipe;
    this.#pipe = undefined;
    if (pipe) pipe.end("the stream's connection ended");
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#open = false;
    this.#pipe = undefined;
    if (this.#client) this.#client.close();
  }
}

/** A ProtocolFactory for createContext({ protocols: { mqtt: mqtt(options) } }). */
export function mqttProtocol(options: MqttOptions = {}): ProtocolFactory {
  return (link: Link) => new Mqtt(link, options);
}

/** The default binding (createContext binds it beside raw and h1). */
export const mqtt: ProtocolFactory = mqttProtocol();
