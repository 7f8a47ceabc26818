// mqtt/outbox: the MQTT client's outgoing PUBLISH packets, from publish() until they are done (QoS 0: written;
// QoS 1: PUBACKed), in one fixed ring allocated at construction and never grown. It owns the order messages go out
// in, which are unsent / in flight / done, the DUP flag on a retransmission, and the drop rule: when a new packet does
// not fit, the OLDEST records are dropped (in flight or not) and counted, until it does.
//
// Each record is a length-prefixed packet, kept whole (contiguous) so it can be written to a connection straight
// from the ring; when the tail of the storage is too short for a record, that tail is left unused and the record
// starts at offset 0 (the head wraps there too):
//   byte 0-1  packet length, big-endian      byte 3    QoS
//   byte 2    state: UNSENT, INFLIGHT, DONE   byte 4-5  Packet Identifier (QoS 1), big-endian
//   byte 6-   the encoded PUBLISH packet, fixed header first
// Records go out in ring order (a cursor marks the first unsent one). A PUBACK marks its record DONE; DONE records
// at the head are reclaimed (not counted as dropped). rewind() (after a reconnect) makes every in-flight record
// UNSENT again with DUP set, and moves the cursor back to the head, so retransmissions go out first, in order.
// The storage is at most 64 KiB, so a ring never holds 65535 QoS 1 records and Packet Identifiers allocated in
// sequence never collide with one still held.
import { PUBLISH_FLAG_DUP } from "mqtt/packet";

export const UNSENT = 0;
export const INFLIGHT = 1;
export const DONE = 2;

/** Bytes of the record header before each packet. */
export const RECORD_HEADER = 6;
/** The largest ring: 64 KiB. */
export const MAX_OUTBOX = 65536;

export default class Outbox {
  readonly #storage: Uint8Array<ArrayBuffer>;
  readonly #capacity: number;
  /** Offset of the oldest record. */
  #head = 0;
  /** Offset where the next record goes. */
  #tail = 0;
  /** While wrapped: where the records before offset 0 end (the head returns to 0 there). */
  #end: number;
  /** Records run from #head to #end, then from 0 to #tail. */
  #wrapped = false;
  #count = 0;
  /** Offset of the first UNSENT record, when #unsent > 0. */
  #cursor = 0;
  #unsent = 0;
  #inflight = 0;
  #dropped = 0;

  /** capacity: bytes of the ring, record headers included (at least one record of maxPacket bytes, at most 64 KiB). */
  constructor(capacity: number, maxPacket: number) {
    if (!Number.isInteger(capacity) || capacity > MAX_OUTBOX || !Number.isInteger(maxPacket) || maxPacket < 2 || capacity < maxPacket + RECORD_HEADER) {
      throw new RangeError(`mqtt outbox: capacity ${String(capacity)} must hold one packet of ${String(maxPacket)} bytes plus ${RECORD_HEADER} and be at most ${MAX_OUTBOX}`);
    }
    this.#capacity = capacity;
    this.#end = capacity;
    this.#storage = new Uint8Array(capacity);
  }

  /** The ring's bytes: a record's packet is storage[packetOffset(r), packetOffset(r) + packetLength(r)). */
  get storage(): Uint8Array { return this.#storage; }
  get capacity(): number { return this.#capacity; }
  /** Records held (unsent, in flight, and done ones not yet reclaimed). */
  get count(): number { return this.#count; }
  get unsent(): number { return this.#unsent; }
  get inflight(): number { return this.#inflight; }
  /** Unsent or in-flight records dropped to make room, since construction. */
  get dropped(): number { return this.#dropped; }

  packetOffset(record: number): number { return record + RECORD_HEADER; }
  packetLength(record: number): number { return (this.#storage[record]! << 8) | this.#storage[record + 1]!; }
  packetId(record: number): number { return (this.#storage[record + 4]! << 8) | this.#storage[record + 5]!; }

  /**
   * Make room for a packet of `size` bytes, dropping the oldest records until it fits, and return the offset where
   * its bytes go (the caller encodes it there). The record is UNSENT and last in line.
   */
  reserve(size: number, qos: number, packetId: number): number {
    const need = size + RECORD_HEADER;
    if (need > this.#capacity || size > 0xffff) throw new RangeError(`mqtt outbox: a packet of ${size} bytes never fits`);
    for (;;) {
      if (this.#count === 0) this.#reset();
      let at = -1;
      if (!this.#wrapped) {
        if (this.#capacity - this.#tail >= need) at = this.#tail;
        else if (this.#head >= need) {
          this.#end = this.#tail;
          this.#wrapped = true;
          at = 0;
        }
      } else if (this.#head - this.#tail >= need) at = this.#tail;
      if (at >= 0) {
        const s = this.#storage;
        s[at] = size >>> 8;
        s[at + 1] = size & 0xff;
        s[at + 2] = UNSENT;
        s[at + 3] = qos;
        s[at + 4] = packetId >>> 8;
        s[at + 5] = packetId & 0xff;
        this.#tail = at + need;
        this.#count++;
        if (this.#unsent++ === 0) this.#cursor = at;
        return at + RECORD_HEADER;
      }
      this.#pop(true);
      this.#reclaim(); // done records behind a dropped one go with it
    }
  }

  /** The first UNSENT record, or -1. */
  nextUnsent(): number {
    if (this.#unsent === 0) return -1;
    let r = this.#cursor;
    while (this.#storage[r + 2] !== UNSENT) r = this.#next(r); // DONE records left behind by rewind()
    this.#cursor = r;
    return r;
  }

  /** The record nextUnsent() gave was handed to the connection: QoS 0 is done, QoS 1 waits for its PUBACK. */
  markSent(record: number): void {
    const s = this.#storage;
    if (s[record + 2] !== UNSENT) return;
    this.#unsent--;
    if (s[record + 3] === 0) s[record + 2] = DONE;
    else {
      s[record + 2] = INFLIGHT;
      this.#inflight++;
    }
    if (this.#unsent > 0) this.#cursor = this.#next(record);
    this.#reclaim();
  }

  /** A PUBACK: its in-flight record is done. Returns false when no record waits for that identifier. */
  acknowledge(packetId: number): boolean {
    const s = this.#storage;
    let r = this.#head;
    for (let i = 0; i < this.#count; i++, r = this.#next(r)) {
      if (s[r + 2] === INFLIGHT && ((s[r + 4]! << 8) | s[r + 5]!) === packetId) {
        s[r + 2] = DONE;
        this.#inflight--;
        this.#reclaim();
        return true;
      }
    }
    return false;
  }

  /** After a reconnect: every in-flight record becomes UNSENT with DUP set, and sending starts again at the head. */
  rewind(): number {
    const s = this.#storage;
    let r = this.#head;
    let resend = 0;
    for (let i = 0; i < this.#count; i++, r = this.#next(r)) {
      if (s[r + 2] === INFLIGHT) {
        s[r + 2] = UNSENT;
        s[r + RECORD_HEADER] = s[r + RECORD_HEADER]! | PUBLISH_FLAG_DUP;
        resend++;
      }
    }
    this.#inflight -= resend;
    this.#unsent += resend;
    if (this.#unsent > 0) this.#cursor = this.#head;
    return resend;
  }

  /** Drop everything (not counted). */
  clear(): void {
    this.#count = this.#unsent = this.#inflight = 0;
    this.#reset();
  }

  #reset(): void {
    this.#head = this.#tail = this.#cursor = 0;
    this.#wrapped = false;
    this.#end = this.#capacity;
  }

  #next(record: number): number {
    const n = record + RECORD_HEADER + this.packetLength(record);
    return this.#wrapped && n === this.#end ? 0 : n;
  }

  #reclaim(): void {
    while (this.#count > 0 && this.#storage[this.#head + 2] === DONE) this.#pop(false);
  }

  /** Remove the oldest record; `count` it as dropped when it was not done. */
  #pop(count: boolean): void {
    const r = this.#head;
    const state = this.#storage[r + 2];
    if (state === UNSENT) {
      this.#unsent--;
      if (count) this.#dropped++;
    } else if (state === INFLIGHT) {
      this.#inflight--;
      if (count) this.#dropped++;
    }
    let next = r + RECORD_HEADER + this.packetLength(r);
    if (this.#wrapped && next === this.#end) {
      next = 0;
      this.#wrapped = false;
      this.#end = this.#capacity;
    }
    this.#head = next;
    if (--this.#count === 0) this.#reset();
    else if (this.#unsent > 0 && this.#cursor === r) this.#cursor = next;
  }
}
