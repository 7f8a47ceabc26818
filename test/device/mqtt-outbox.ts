// Device-side cases for mqtt/outbox, the client's fixed ring of outgoing PUBLISH packets, run inside XS: order,
// PUBACK tracking (in and out of order), the drop-oldest rule and its count, contiguous records across the wrap,
// rewind with DUP, and a long random run checked against a plain model. Reports "ok <name>" / "not ok <name> <why>"
// per case (test/mqtt-outbox.test.js lists them), then "done".
import Outbox, { RECORD_HEADER } from "mqtt/outbox";
import { encodePublish, publishSize, decode, Packet, PACKET, PUBLISH_FLAG_DUP } from "mqtt/packet";
import { check, equal, run } from "./mqtt/check";

const p = new Packet();

/** Queue a PUBLISH of topic "t" whose payload is `length` bytes of `id & 0xff`; returns its record offset. */
function put(box: Outbox, id: number, qos: number, length = 4): number {
  const payload = new Uint8Array(length).fill(id & 0xff);
  const size = publishSize("t", length, qos);
  const at = box.reserve(size, qos, qos ? id : 0);
  encodePublish(box.storage, at, "t", payload, qos, false, false, qos ? id : 1);
  return at - RECORD_HEADER;
}

/** Decode the record's packet where it lies in the ring (it must be whole and contiguous); returns its payload's first byte. */
function payloadOf(box: Outbox, record: number): number {
  const at = box.packetOffset(record);
  const status = decode(box.storage, at, box.packetLength(record), p);
  if (status !== PACKET) throw new Error(`record at ${record} does not decode: ${p.reason}`);
  return p.payloadLength ? box.storage[p.payloadOffset]! : -1;
}

/** Send every unsent record in order; returns their payload tags. */
function sendAll(box: Outbox): number[] {
  const sent: number[] = [];
  for (let r = box.nextUnsent(); r >= 0; r = box.nextUnsent()) {
    sent.push(payloadOf(box, r));
    box.markSent(r);
  }
  return sent;
}

run("outbox-starts-empty", () => {
  const box = new Outbox(256, 64);
  equal(box.count, 0, "count");
  equal(box.nextUnsent(), -1, "nothing to send");
  equal(box.dropped, 0, "dropped");
});

run("outbox-sends-in-order-qos0-reclaimed", () => {
  const box = new Outbox(256, 64);
  for (let i = 1; i <= 3; i++) put(box, i, 0);
  equal(box.unsent, 3, "unsent");
  equal(sendAll(box).join(","), "1,2,3", "order");
  equal(box.count, 0, "QoS 0 records are done once handed over");
});

run("outbox-qos1-waits-for-puback", () => {
  const box = new Outbox(256, 64);
  put(box, 7, 1);
  sendAll(box);
  equal(box.inflight, 1, "in flight");
  equal(box.count, 1, "held until PUBACK");
  check(!box.acknowledge(8), "PUBACK 8 matches nothing");
  check(box.acknowledge(7), "PUBACK 7");
  equal(box.count, 0, "count");
  equal(box.inflight, 0, "in flight");
});

run("outbox-out-of-order-puback", () => {
  const box = new Outbox(256, 64);
  for (let i = 1; i <= 3; i++) put(box, i, 1);
  sendAll(box);
  check(box.acknowledge(2), "PUBACK 2");
  equal(box.count, 3, "the middle record waits behind the oldest");
  equal(box.inflight, 2, "in flight");
  check(box.acknowledge(1), "PUBACK 1");
  equal(box.count, 1, "1 and 2 reclaimed");
  check(box.acknowledge(3), "PUBACK 3");
  equal(box.count, 0, "empty");
  equal(box.dropped, 0, "nothing dropped");
});

run("outbox-full-drops-oldest-counted", () => {
  const size = publishSize("t", 4, 1) + RECORD_HEADER; // 15 bytes a record
  const box = new Outbox(size * 5, 64);
  for (let i = 1; i <= 12; i++) put(box, i, 1);
  equal(box.count, 5, "holds 5");
  equal(box.dropped, 7, "dropped the 7 oldest");
  equal(sendAll(box).join(","), "8,9,10,11,12", "the newest 5, in order");
});

run("outbox-drops-in-flight-messages-too", () => {
  const size = publishSize("t", 4, 1) + RECORD_HEADER;
  const box = new Outbox(size * 3, 20);
  for (let i = 1; i <= 3; i++) put(box, i, 1);
  sendAll(box);
  put(box, 4, 1);
  equal(box.dropped, 1, "the in-flight oldest was dropped");
  equal(box.inflight, 2, "in flight");
  check(!box.acknowledge(1), "its PUBACK matches nothing now");
  check(box.acknowledge(2), "PUBACK 2");
  equal(sendAll(box).join(","), "4", "then 4");
});

run("outbox-records-stay-whole-across-the-wrap", () => {
  const box = new Outbox(100, 60);
  // Sizes that do not divide the ring: a tail too short for the next record is skipped and it starts at 0.
  const lengths = [10, 23, 5, 31, 17, 2, 29, 11, 40, 3, 19, 27, 8, 33, 1];
  let id = 0, wraps = 0, last = -1;
  for (let round = 0; round < 20; round++) {
    for (const length of lengths) {
      put(box, ++id, 1, length);
      const r = box.nextUnsent();
      if (r < last) wraps++;
      last = r;
      equal(box.packetLength(r) + r + RECORD_HEADER <= 100, true, `record ${id} inside the storage`);
      equal(payloadOf(box, r), id & 0xff, `record ${id} decodes where it lies`);
      box.markSent(r);
      box.acknowledge(id - 1); // one in flight at most (it may have been dropped)
    }
  }
  check(wraps > 20, `only ${wraps} wraps`);
});

run("outbox-rewind-sets-dup-and-resends-in-order", () => {
  const box = new Outbox(512, 64);
  for (let i = 1; i <= 3; i++) put(box, i, 1);
  sendAll(box);
  put(box, 4, 1);
  put(box, 5, 0);
  equal(box.rewind(), 3, "three to resend");
  equal(box.unsent, 5, "unsent");
  equal(box.inflight, 0, "in flight");
  const dups: boolean[] = [];
  for (let r = box.nextUnsent(); r >= 0; r = box.nextUnsent()) {
    dups.push((box.storage[box.packetOffset(r)]! & PUBLISH_FLAG_DUP) !== 0);
    box.markSent(r);
  }
  equal(dups.join(","), "true,true,true,false,false", "DUP on the retransmissions only, in order");
});

run("outbox-rewind-skips-acknowledged", () => {
  const box = new Outbox(512, 64);
  for (let i = 1; i <= 3; i++) put(box, i, 1);
  sendAll(box);
  check(box.acknowledge(2), "PUBACK 2 out of order");
  equal(box.rewind(), 2, "1 and 3 to resend");
  equal(sendAll(box).join(","), "1,3", "2 is not resent");
});

run("outbox-too-large-never-fits", () => {
  const box = new Outbox(64, 58);
  let threw = false;
  try {
    box.reserve(59, 0, 0);
  } catch (e) {
    threw = e instanceof RangeError;
  }
  check(threw, "a record larger than the ring is a RangeError");
  threw = false;
  try {
    new Outbox(63, 58);
  } catch (e) {
    threw = e instanceof RangeError;
  }
  check(threw, "a ring that cannot hold one packet is refused");
});

run("outbox-random-run-matches-a-model", () => {
  // xorshift32: the same run every time.
  let x = 0x9e3779b9;
  const rnd = (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const box = new Outbox(1000, 200);
  type M = { id: number; qos: number; state: number; size: number };
  let model: M[] = [];
  let dropped = 0, id = 0;
  const free = () => 1000 - model.reduce((s, m) => s + m.size, 0);
  for (let step = 0; step < 20000; step++) {
    const op = rnd(10);
    if (op < 4) {
      const qos = rnd(2);
      const length = 1 + rnd(120);
      id = id >= 0xffff ? 1 : id + 1;
      put(box, id, qos, length);
      model.push({ id, qos, state: 0, size: publishSize("t", length, qos) + RECORD_HEADER });
      // The ring can drop more than the model's byte count says (a skipped tail): read what it did.
      while (model.length > box.count) {
        const old = model.shift()!;
        if (old.state !== 2) dropped++;
      }
      check(free() >= 0, "model over capacity");
    } else if (op < 7) {
      const r = box.nextUnsent();
      const m = model.find((e) => e.state === 0);
      if (!m) {
        equal(r, -1, "nothing unsent");
        continue;
      }
      equal(payloadOf(box, r), m.id & 0xff, `next unsent at step ${step}`);
      equal(box.packetId(r), m.qos ? m.id : 0, "packet id");
      box.markSent(r);
      m.state = m.qos ? 1 : 2;
    } else if (op < 9) {
      const inflight = model.filter((e) => e.state === 1);
      if (inflight.length === 0) continue;
      const m = inflight[rnd(inflight.length)]!;
      check(box.acknowledge(m.id), `PUBACK ${m.id}`);
      m.state = 2;
    } else if (rnd(10) === 0) {
      for (const m of model) if (m.state === 1) m.state = 0;
      box.rewind();
    }
    while (model.length && model[0]!.state === 2) model.shift();
    equal(box.count, model.length, `count at step ${step}`);
    equal(box.dropped, dropped, `dropped at step ${step}`);
    equal(box.unsent, model.filter((e) => e.state === 0).length, `unsent at step ${step}`);
    equal(box.inflight, model.filter((e) => e.state === 1).length, `in flight at step ${step}`);
  }
  model = [];
});

trace("done\n");
