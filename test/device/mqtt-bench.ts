// Measuring hooks for the MQTT client inside XS (test/mqtt-bench.test.js calls them in cranks and reads XS's meter):
// a client connected to an in-XS broker (common/local-broker: it answers CONNECT with CONNACK and each QoS 1 PUBLISH
// with its PUBACK, and takes every byte at once), so what is counted is the client's own work per message: encode
// into the outbox, write, and for QoS 1 the PUBACK read, decoded and matched. No network, no TLS.
import { MQTTClient } from "mqtt/client";
import { Packet, decode, encodePublish, PACKET } from "mqtt/packet";
import { LocalBroker } from "./common/local-broker";

let client: MQTTClient | undefined;
let broker: LocalBroker | undefined;
const payload = new Uint8Array(64).fill(0x61);
const scratch = new Uint8Array(256);

/** A client connected to the fake broker (its CONNACK is handled in this crank's promise jobs). */
export function setup(): void {
  broker = new LocalBroker();
  const fake = broker;
  client = new MQTTClient({ transport: () => fake, clientId: "bench", keepAlive: 0, outboxSize: 4096, maxPacketSize: 256, tag: "bench" });
  client.connect();
}

export function state(): { state: string; published: number; inflight: number; queued: number; dropped: number } {
  const c = client!;
  return { state: c.state, published: c.published, inflight: c.inflight, queued: c.queued, dropped: c.dropped };
}

/** Publish n messages of 64 bytes to "dev/bench/t" at `qos`; PUBACKs are handled in this crank's promise jobs. */
export function publishMany(n: number, qos: number): number {
  const c = client!;
  for (let i = 0; i < n; i++) c.publish("dev/bench/t", payload, qos);
  return n;
}

/** The codec alone: encode the same PUBLISH n times into a scratch buffer (the floor for publish). */
export function encodeMany(n: number, qos: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += encodePublish(scratch, 0, "dev/bench/t", payload, qos, false, false, (i & 0xfffe) + 1);
  return total;
}

/** Decode the same PUBLISH n times (the decoder's allocation check). */
export function decodeMany(n: number): number {
  const size = encodePublish(scratch, 0, "dev/bench/t", payload, 1, false, false, 7);
  const p = new Packet();
  let ok = 0;
  for (let i = 0; i < n; i++) if (decode(scratch, 0, size, p, 256) === PACKET) ok++;
  return ok;
}

export function close(): void {
  client?.close();
}
