// An MQTT broker inside XS, for the benchmarks that measure device code alone (no network, no TLS, no bridge): it
// answers CONNECT with CONNACK (accepted, no session) and each QoS 1 PUBLISH with its PUBACK, and takes every byte
// at once. It has both shapes a client may be given: an mqtt/client Connection and a Secure Streams Transport.
// Whole packets only (clients write whole packets to a connection that takes all); it reads a fixed header just far
// enough to answer, so its own share of a measured run stays small.
import type { Connection } from "mqtt/client";
import type { Transport } from "ss/protocol";

const CONNECT = 1;
const PUBLISH = 3;

export class LocalBroker implements Connection, Transport {
  state: Transport["state"] = "open";
  error: Transport["error"] = undefined;
  readonly writable = 4096;
  /** Bytes the client wrote. */
  written = 0;
  #rx = new Uint8Array(4096);
  #have = 0;
  #wake: ((result: string) => void) | undefined;

  isOpen(): boolean { return this.state === "open"; }

  read(into: Uint8Array, offset = 0, length = into.byteLength - offset): number {
    const n = Math.min(this.#have, length);
    if (n === 0) return 0;
    into.set(this.#rx.subarray(0, n), offset);
    this.#rx.copyWithin(0, n, this.#have);
    this.#have -= n;
    return n;
  }

  write(bytes: Uint8Array, offset = 0, length = bytes.byteLength - offset): number {
    const rx = this.#rx;
    const end = offset + length;
    for (let at = offset; at < end;) {
      const type = bytes[at]! >> 4;
      let remaining = 0, shift = 0, i = at + 1;
      for (;;) {
        const b = bytes[i++]!;
        remaining += (b & 0x7f) << shift;
        if (b < 0x80) break;
        shift += 7;
      }
      if (type === CONNECT) this.#answer(0x20, 0, 0);
      else if (type === PUBLISH && (bytes[at]! & 0x06) === 0x02) {
        const id = i + 2 + ((bytes[i]! << 8) | bytes[i + 1]!); // after the Topic Name
        this.#answer(0x40, bytes[id]!, bytes[id + 1]!);
      }
      at = i + remaining;
    }
    this.written += length;
    if (this.#have > 0 && this.#wake) {
      const wake = this.#wake;
      this.#wake = undefined;
      wake("readable");
    }
    return length;
  }

  /** A two-byte acknowledgement: CONNACK (flags, code) or PUBACK (Packet Identifier). */
  #answer(byte1: number, a: number, b: number): void {
    const rx = this.#rx, at = this.#have;
    rx[at] = byte1;
    rx[at + 1] = 2;
    rx[at + 2] = a;
    rx[at + 3] = b;
    this.#have = at + 4;
  }

  wait(_timeoutMs: number): Promise<string> {
    if (this.#have > 0) return Promise.resolve("readable");
    if (this.state !== "open") return Promise.resolve("state");
    return new Promise((resolve) => { this.#wake = resolve; });
  }

  close(): void {
    this.state = "closed";
    this.#wake?.("state");
    this.#wake = undefined;
  }
}
