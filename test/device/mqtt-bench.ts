// Measuring hooks for the MQTT client inside XS (test/mqtt-bench.test.js calls them in cranks and reads XS's meter):
// a client connected to an in-XS fake broker (a Connection that answers CONNECT with CONNACK and each QoS 1 PUBLISH
// with its PUBACK, and takes every byte at once), so what is counted is the client's own work per message: encode
// into the outbox, write, and for QoS 1 the PUBACK read, decoded and matched. No network, no TLS.
import { MQTTClient } from "mqtt/client";
import type { Connection } from "mqtt/client";
import { Packet, decode, encodePublish, encodePuback, PACKET, CONNECT, PUBLISH } from "mqtt/packet";

class FakeBroker implements Connection {
  #rx = new Uint8Array(4096);
  #have = 0;
  #packet = new Packet();
  #wake: ((result: string) => void) | undefined;
  written = 0;

  isOpen(): boolean { return true; }

  read(into: Uint8Array, offset: number, length: number): number {
    const n = Math.min(this.#have, length);
    if (n === 0) return 0;
    into.set(this.#rx.subarray(0, n), offset);
    this.#rx.copyWithin(0, n, this.#have);
    this.#have -= n;
    return n;
  }

  /** Takes every byte; answers whole packets (the client writes whole packets to a connection that takes all). */
  write(bytes: Uint8Array, offset: number, length: number): number {
    const p = this.#packet;
    let at = offset;
    const end = offset + length;
    while (at < end && decode(bytes, at, end - at, p) === PACKET) {
      if (p.type === CONNECT) this.#answer(0x20, 0x02, 0x00, 0x00);
      else if (p.type === PUBLISH && p.qos === 1) this.#have += encodePuback(this.#rx, this.#have, p.packetId);
      at += p.size;
    }
    this.written += length;
    if (this.#have > 0 && this.#wake) {
      const wake = this.#wake;
      this.#wake = undefined;
      wake("readable");
    }
    return length;
  }

  #answer(...bytes: number[]): void {
    for (const b of bytes) this.#rx[this.#have++] = b;
  }

  wait(_timeoutMs: number): Promise<string> {
    if (this.#have > 0) return Promise.resolve("readable");
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  close(): void {
    this.#wake?.("state");
    this.#wake = undefined;
  }
}

let client: MQTTClient | undefined;
let broker: FakeBroker | undefined;
const payload = new Uint8Array(64).fill(0x61);
const scratch = new Uint8Array(256);

/** A client connected to the fake broker (its CONNACK is handled in this crank's promise jobs). */
export function setup(): void {
  broker = new FakeBroker();
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
