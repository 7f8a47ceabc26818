// Device-side tests for the "ring" module (Ring and FrameRing). Runs inside XS at module top
// level, synchronously; reports one line per case through trace(): "ok <name>" or
// "not ok <name> <why>", then "done".
import Ring, { FrameRing } from "ring";

class Fail extends Error {}

function check(cond: boolean, why: string): void {
	if (!cond) throw new Fail(why);
}

function equal(actual: unknown, expected: unknown, what: string): void {
	if (actual !== expected) throw new Fail(what + ": expected " + String(expected) + ", got " + String(actual));
}

function throwsKind(kind: new (message?: string) => Error, fn: () => unknown, what: string): void {
	try {
		fn();
	} catch (e) {
		if (e instanceof kind) return;
		throw new Fail(what + ": threw " + String(e) + " instead of " + kind.name);
	}
	throw new Fail(what + ": did not throw " + kind.name);
}

function bytes(...values: number[]): Uint8Array<ArrayBuffer> {
	return Uint8Array.from(values);
}

function sameBytes(a: Uint8Array, b: Uint8Array, what: string): void {
	if (a.byteLength !== b.byteLength) throw new Fail(what + ": length " + a.byteLength + " vs " + b.byteLength);
	for (let i = 0; i < a.byteLength; i++)
		if (a[i] !== b[i]) throw new Fail(what + ": byte " + i + " is " + a[i] + ", expected " + b[i]);
}

function run(name: string, body: () => void): void {
	try {
		body();
		trace("ok " + name + "\n");
	} catch (e) {
		const why = e instanceof Error ? (e instanceof Fail ? e.message : e.name + ": " + e.message) : String(e);
		trace("not ok " + name + " " + why.replace(/\n/g, " ") + "\n");
	}
}

// Stream data: a fixed table repeated forever. Its length is prime, so neither chunk sizes
// nor the ring size line up with it and every misplaced byte shows.
const PERIOD = 4099;
const PATTERN = new Uint8Array(PERIOD);
for (let i = 0; i < PERIOD; i++) PATTERN[i] = (i * 7 + (i >>> 8) * 13 + 1) & 0xff;

/** Writes the stream's next bytes into views and keeps a running (Fletcher-style) checksum of them. */
class Producer {
	total: number;
	produced = 0;
	k = 0; // index into PATTERN of the next byte
	s1 = 0;
	s2 = 0;
	constructor(total: number) {
		this.total = total;
	}
	/** Fills view[0, n) with the next n stream bytes (n = view length, capped by what is left); returns n. */
	fill(view: Uint8Array): number {
		let len = view.byteLength;
		if (len > this.total - this.produced) len = this.total - this.produced;
		let k = this.k, i = 0;
		while (i < len) {
			let n = PERIOD - k;
			if (n > len - i) n = len - i;
			view.set(PATTERN.subarray(k, k + n), i);
			i += n;
			k += n;
			if (k === PERIOD) k = 0;
		}
		let s1 = this.s1, s2 = this.s2;
		for (let j = 0; j < len; j++) {
			s1 = (s1 + view[j]!) | 0;
			s2 = (s2 + s1) | 0;
		}
		this.k = k;
		this.s1 = s1;
		this.s2 = s2;
		this.produced += len;
		return len;
	}
}

/** Checks that views carry the stream's next bytes, byte for byte, and keeps the same running checksum. */
class Checker {
	consumed = 0;
	mismatches = 0;
	firstBad = -1;
	k = 0;
	s1 = 0;
	s2 = 0;
	/** Verifies view[0, len); returns len. */
	check(view: Uint8Array, len: number): number {
		let k = this.k, s1 = this.s1, s2 = this.s2, bad = 0;
		for (let j = 0; j < len; j++) {
			const b = view[j]!;
			if (b !== PATTERN[k]) bad++;
			if (++k === PERIOD) k = 0;
			s1 = (s1 + b) | 0;
			s2 = (s2 + s1) | 0;
		}
		if (bad !== 0 && this.firstBad < 0) this.firstBad = this.consumed;
		this.mismatches += bad;
		this.k = k;
		this.s1 = s1;
		this.s2 = s2;
		this.consumed += len;
		return len;
	}
	verify(producer: Producer, total: number): void {
		equal(producer.produced, total, "bytes produced");
		equal(this.consumed, total, "bytes consumed");
		equal(this.mismatches, 0, "mismatched bytes (first near stream offset " + this.firstBad + ")");
		equal(this.s1, producer.s1, "checksum s1");
		equal(this.s2, producer.s2, "checksum s2");
	}
}

run("new-ring-is-empty", () => {
	const r = new Ring(16);
	equal(r.capacity, 16, "capacity");
	equal(r.available, 0, "available");
	equal(r.free, 16, "free");
});

run("write-takes-what-fits", () => {
	const r = new Ring(4);
	equal(r.write(bytes(1, 2, 3, 4, 5, 6)), 4, "written");
	equal(r.available, 4, "available");
	equal(r.free, 0, "free");
	const out = new Uint8Array(6);
	equal(r.read(out), 4, "read");
	sameBytes(out.subarray(0, 4), bytes(1, 2, 3, 4), "data");
});

run("capacity-free-available-accounting", () => {
	const r = new Ring(10);
	equal(r.write(bytes(1, 2, 3)), 3, "write 3");
	equal(r.available, 3, "available after write");
	equal(r.free, 7, "free after write");
	const out = new Uint8Array(2);
	equal(r.read(out), 2, "read 2");
	equal(r.available, 1, "available after read");
	equal(r.free, 9, "free after read");
	equal(r.capacity, 10, "capacity unchanged");
	equal(r.available + r.free, r.capacity, "available + free");
});

run("write-on-full-returns-0", () => {
	const r = new Ring(3);
	equal(r.write(bytes(9, 9, 9)), 3, "fill");
	equal(r.write(bytes(1)), 0, "write when full");
	equal(r.write(bytes(1, 2), 1), 0, "write with offset when full");
	equal(r.available, 3, "available");
});

run("write-empty-span-returns-0", () => {
	const r = new Ring(3);
	equal(r.write(new Uint8Array(0)), 0, "empty view");
	equal(r.write(bytes(1, 2), 2), 0, "offset at end");
	equal(r.write(bytes(1, 2), 0, 0), 0, "zero length");
	equal(r.available, 0, "available");
});

run("read-on-empty-returns-0", () => {
	const r = new Ring(3);
	const out = bytes(7, 7);
	equal(r.read(out), 0, "read");
	sameBytes(out, bytes(7, 7), "into untouched");
	equal(r.peek(out), 0, "peek");
	equal(r.skip(5), 0, "skip");
});

run("read-consumes-in-order", () => {
	const r = new Ring(8);
	r.write(bytes(1, 2, 3));
	r.write(bytes(4, 5));
	const a = new Uint8Array(2), b = new Uint8Array(8);
	equal(r.read(a), 2, "first read");
	sameBytes(a, bytes(1, 2), "first");
	equal(r.read(b), 3, "second read");
	sameBytes(b.subarray(0, 3), bytes(3, 4, 5), "second");
	equal(r.available, 0, "drained");
});

run("wrap-around-write-and-read", () => {
	const r = new Ring(5);
	r.write(bytes(1, 2, 3, 4));
	const out = new Uint8Array(5);
	equal(r.read(out, 0, 3), 3, "read 3");
	// head at 3, one byte (4) stored; writing 4 wraps the storage
	equal(r.write(bytes(5, 6, 7, 8)), 4, "wrapping write");
	equal(r.free, 0, "full");
	equal(r.read(out), 5, "wrapping read");
	sameBytes(out, bytes(4, 5, 6, 7, 8), "order across wrap");
	// repeat many times with a rotating head
	const chunk = new Uint8Array(3), got = new Uint8Array(3);
	let next = 0, expect = 0;
	for (let round = 0; round < 50; round++) {
		for (let i = 0; i < 3; i++) chunk[i] = next++ & 0xff;
		equal(r.write(chunk), 3, "round write");
		if (round % 2 === 1) r.write(bytes(next++ & 0xff));
		while (r.available > 0) {
			const n = r.read(got, 0, 2);
			for (let i = 0; i < n; i++) equal(got[i], expect++ & 0xff, "round byte");
		}
	}
	equal(expect, next, "all bytes read");
});

run("write-with-offset-and-length", () => {
	const r = new Ring(8);
	const src = bytes(10, 11, 12, 13, 14, 15);
	equal(r.write(src, 2, 3), 3, "offset+length");
	equal(r.write(src, 4), 2, "offset only");
	const out = new Uint8Array(8);
	equal(r.read(out), 5, "read");
	sameBytes(out.subarray(0, 5), bytes(12, 13, 14, 14, 15), "data");
});

run("partial-write-with-offset-wraps", () => {
	const r = new Ring(4);
	r.write(bytes(0, 0, 0));
	r.skip(3);
	r.write(bytes(0));
	// head 3, one byte stored, 3 free spanning the end and the start
	const src = bytes(1, 2, 3, 4, 5, 6);
	equal(r.write(src, 1, 5), 3, "takes what fits");
	r.skip(1);
	const out = new Uint8Array(3);
	equal(r.read(out), 3, "read");
	sameBytes(out, bytes(2, 3, 4), "data");
});

run("read-with-offset-and-length", () => {
	const r = new Ring(8);
	r.write(bytes(1, 2, 3, 4, 5));
	const out = new Uint8Array(6);
	equal(r.read(out, 2, 2), 2, "offset+length");
	equal(r.read(out, 4), 2, "offset only");
	sameBytes(out, bytes(0, 0, 1, 2, 3, 4), "placed");
	equal(r.available, 1, "left");
});

run("write-and-read-accept-array-buffer", () => {
	const r = new Ring(8);
	const src = bytes(5, 6, 7).buffer;
	equal(r.write(src), 3, "write ArrayBuffer");
	equal(r.write(src, 1, 1), 1, "write ArrayBuffer span");
	const dst = new ArrayBuffer(4);
	equal(r.read(dst), 4, "read into ArrayBuffer");
	sameBytes(new Uint8Array(dst), bytes(5, 6, 7, 6), "data");
});

run("write-accepts-subarray-views", () => {
	const r = new Ring(8);
	const backing = bytes(0, 1, 2, 3, 4, 5, 6, 7);
	equal(r.write(backing.subarray(3, 6)), 3, "subarray write");
	const out = new Uint8Array(8);
	equal(r.read(out.subarray(2, 5)), 3, "subarray read");
	sameBytes(out, bytes(0, 0, 3, 4, 5, 0, 0, 0), "data");
});

run("peek-does-not-consume", () => {
	const r = new Ring(8);
	r.write(bytes(1, 2, 3));
	const out = new Uint8Array(2);
	equal(r.peek(out), 2, "peek count");
	sameBytes(out, bytes(1, 2), "peeked");
	equal(r.available, 3, "still available");
	const all = new Uint8Array(8);
	equal(r.read(all), 3, "read after peek");
	sameBytes(all.subarray(0, 3), bytes(1, 2, 3), "read data");
});

run("peek-with-skip-across-wrap", () => {
	const r = new Ring(6);
	r.write(bytes(0, 0, 0, 0));
	r.skip(4);
	r.write(bytes(1, 2, 3, 4, 5)); // head 0 after drain: no wrap yet
	r.skip(3);
	r.write(bytes(6, 7, 8)); // stored 4 5 6 7 8, wrapping
	const out = new Uint8Array(4);
	equal(r.peek(out, 1), 4, "peek skip 1");
	sameBytes(out, bytes(5, 6, 7, 8), "skip 1");
	equal(r.peek(out, 3), 2, "peek skip 3");
	sameBytes(out.subarray(0, 2), bytes(7, 8), "skip 3");
	equal(r.available, 5, "nothing consumed");
});

run("peek-skip-past-available-returns-0", () => {
	const r = new Ring(4);
	r.write(bytes(1, 2));
	const out = new Uint8Array(2);
	equal(r.peek(out, 2), 0, "skip == available");
	equal(r.peek(out, 9), 0, "skip > available");
	throwsKind(RangeError, () => r.peek(out, -1), "negative skip");
	throwsKind(RangeError, () => r.peek(out, 0.5), "fractional skip");
});

run("skip-discards-up-to-n", () => {
	const r = new Ring(6);
	r.write(bytes(1, 2, 3, 4));
	equal(r.skip(1), 1, "skip 1");
	equal(r.available, 3, "available");
	const out = new Uint8Array(1);
	r.peek(out);
	equal(out[0], 2, "next byte");
	equal(r.skip(10), 3, "skip more than available");
	equal(r.available, 0, "empty");
	equal(r.free, 6, "free");
	throwsKind(RangeError, () => r.skip(-1), "negative");
	throwsKind(RangeError, () => r.skip(NaN), "NaN");
});

run("clear-empties-the-ring", () => {
	const r = new Ring(4);
	r.write(bytes(1, 2, 3));
	r.skip(2);
	r.clear();
	equal(r.available, 0, "available");
	equal(r.free, 4, "free");
	equal(r.write(bytes(9, 8, 7, 6)), 4, "full capacity writable");
	const out = new Uint8Array(4);
	r.read(out);
	sameBytes(out, bytes(9, 8, 7, 6), "data");
});

run("bad-constructor-args-throw-range-error", () => {
	const bad: unknown[] = [0, -1, 1.5, NaN, Infinity, 16 * 1024 * 1024 + 1, "8", undefined];
	for (const v of bad) throwsKind(RangeError, () => new Ring(v as number), "capacity " + String(v));
	equal(new Ring(1).capacity, 1, "capacity 1 is fine");
});

run("non-byte-view-throws-type-error", () => {
	const r = new Ring(8);
	r.write(bytes(1, 2));
	const bad: unknown[] = [new Uint16Array(2), new Int8Array(2), new Uint8ClampedArray(2), new DataView(new ArrayBuffer(2)), [1, 2], "ab", null, undefined, 3];
	for (const v of bad) {
		throwsKind(TypeError, () => r.write(v as Uint8Array), "write " + Object.prototype.toString.call(v));
		throwsKind(TypeError, () => r.read(v as Uint8Array), "read " + Object.prototype.toString.call(v));
		throwsKind(TypeError, () => r.peek(v as Uint8Array), "peek " + Object.prototype.toString.call(v));
	}
	equal(r.available, 2, "nothing consumed");
});

run("bad-offset-or-length-throws-range-error", () => {
	const r = new Ring(8);
	const src = new Uint8Array(4);
	const spans: [unknown, unknown][] = [[-1, undefined], [5, undefined], [1.5, undefined], [NaN, undefined], [0, 5], [2, 3], [0, -1], [0, 1.5], ["1", 1]];
	for (const [o, l] of spans) {
		throwsKind(RangeError, () => r.write(src, o as number, l as number), "write " + String(o) + "/" + String(l));
		throwsKind(RangeError, () => r.read(src, o as number, l as number), "read " + String(o) + "/" + String(l));
	}
	equal(r.available, 0, "nothing written");
	r.write(bytes(1));
	throwsKind(RangeError, () => r.read(src, 4, 1), "read past end with data");
	equal(r.available, 1, "nothing consumed");
});

run("write-from-fills-free-space", () => {
	const r = new Ring(8);
	let calls = 0;
	const n = r.writeFrom((view) => {
		calls++;
		equal(view.byteLength, 8, "whole storage offered");
		for (let i = 0; i < view.byteLength; i++) view[i] = i + 1;
		return view.byteLength;
	});
	equal(n, 8, "committed");
	equal(calls, 1, "one span");
	equal(r.available, 8, "available");
	equal(r.writeFrom(() => { throw new Fail("source called when full"); }), 0, "full");
	const out = new Uint8Array(8);
	r.read(out);
	sameBytes(out, bytes(1, 2, 3, 4, 5, 6, 7, 8), "data");
});

run("drained-ring-offers-whole-storage-to-write-from", () => {
	const r = new Ring(8);
	const out = new Uint8Array(5);
	const fill = (view: Uint8Array): number => { calls++; seen = view.byteLength; view.fill(9); return view.byteLength; };
	let calls = 0, seen = -1;
	r.write(bytes(1, 2, 3, 4, 5));
	r.read(out, 0, 3);
	r.skip(2); // drained by skip with the read position mid-storage
	equal(r.writeFrom(fill), 8, "committed after skip");
	equal(calls, 1, "one span after skip");
	equal(seen, 8, "whole storage after skip");
	equal(r.readTo((view) => view.byteLength), 8, "drained in one span");
	r.write(bytes(1, 2, 3));
	r.read(out); // drained by read
	calls = 0;
	equal(r.writeFrom(fill), 8, "committed after read");
	equal(calls, 1, "one span after read");
	equal(seen, 8, "whole storage after read");
});

run("read-ending-at-storage-end-wraps-read-position", () => {
	const r = new Ring(8);
	r.write(bytes(0, 0, 1, 2, 3, 4));
	r.skip(2);
	r.write(bytes(5, 6, 7, 8)); // stored 1..8 from index 2, wrapping
	const out = new Uint8Array(6);
	equal(r.read(out), 6, "read up to the end of storage");
	sameBytes(out, bytes(1, 2, 3, 4, 5, 6), "first part");
	let first = -1;
	equal(r.readTo((view) => { if (first < 0) first = view[0]!; return view.byteLength; }), 2, "readTo the rest");
	equal(first, 7, "continues at the start of storage");
	r.write(bytes(0, 0, 1, 2, 3, 4));
	r.skip(2);
	r.write(bytes(5, 6, 7, 8));
	equal(r.skip(6), 6, "skip up to the end of storage");
	const two = new Uint8Array(2);
	equal(r.peek(two), 2, "peek the rest");
	sameBytes(two, bytes(7, 8), "rest");
});

run("write-from-wraps-in-two-spans", () => {
	const r = new Ring(8);
	r.write(bytes(0, 0, 0, 0, 0, 0));
	r.skip(5); // head 5, one byte stored, write position 6
	const lengths: number[] = [];
	let v = 1;
	const n = r.writeFrom((view) => {
		lengths.push(view.byteLength);
		for (let i = 0; i < view.byteLength; i++) view[i] = v++;
		return view.byteLength;
	}, 100);
	equal(n, 7, "committed");
	equal(lengths.length, 2, "two spans");
	equal(lengths[0], 2, "first span to end");
	equal(lengths[1], 5, "second span from start");
	r.skip(1);
	const out = new Uint8Array(7);
	equal(r.read(out), 7, "read");
	sameBytes(out, bytes(1, 2, 3, 4, 5, 6, 7), "order");
});

run("write-from-respects-max-and-partial-source", () => {
	const r = new Ring(8);
	let seen = -1;
	equal(r.writeFrom((view) => { seen = view.byteLength; view[0] = 42; return 1; }, 3), 1, "partial");
	equal(seen, 3, "view limited by max");
	equal(r.available, 1, "committed only what source reported");
	equal(r.writeFrom(() => { throw new Fail("source called for max 0"); }, 0), 0, "max 0");
	let calls = 0;
	equal(r.writeFrom(() => { calls++; return 0; }), 0, "source returns 0");
	equal(calls, 1, "stops after a short span");
	const out = new Uint8Array(1);
	r.read(out);
	equal(out[0], 42, "data");
	throwsKind(RangeError, () => r.writeFrom((view) => view.byteLength + 1), "source over-reports");
	throwsKind(RangeError, () => r.writeFrom(() => -1), "source negative");
	throwsKind(RangeError, () => r.writeFrom((view) => view.byteLength, -1), "negative max");
	throwsKind(TypeError, () => r.writeFrom(null as unknown as (view: Uint8Array) => number), "source not a function");
	equal(r.available, 0, "nothing committed by bad sources");
});

run("read-to-drains-with-wrap", () => {
	const r = new Ring(8);
	r.write(bytes(0, 0, 0, 0, 0, 0));
	r.skip(6);
	r.write(bytes(1, 2, 3, 4, 5, 6)); // drained -> head 0, no wrap
	r.skip(4);
	r.write(bytes(7, 8, 9, 10, 11)); // 5 6 7 8 | 9 10 11 wrapping
	const got: number[] = [];
	const lengths: number[] = [];
	const n = r.readTo((view) => {
		lengths.push(view.byteLength);
		for (let i = 0; i < view.byteLength; i++) got.push(view[i]!);
		return view.byteLength;
	}, 1000);
	equal(n, 7, "consumed");
	equal(lengths.length, 2, "two spans");
	equal(lengths[0], 4, "first span to end");
	equal(lengths[1], 3, "second span");
	sameBytes(Uint8Array.from(got), bytes(5, 6, 7, 8, 9, 10, 11), "order");
	equal(r.available, 0, "drained");
	equal(r.readTo(() => { throw new Fail("sink called when empty"); }), 0, "empty");
});

run("read-to-partial-sink-consumes-only-reported", () => {
	const r = new Ring(8);
	r.write(bytes(1, 2, 3, 4, 5));
	let seen = -1;
	equal(r.readTo((view) => { seen = view.byteLength; return 2; }, 4), 2, "partial");
	equal(seen, 4, "view limited by max");
	equal(r.available, 3, "rest still readable");
	const out = new Uint8Array(3);
	r.peek(out);
	sameBytes(out, bytes(3, 4, 5), "remaining");
	throwsKind(RangeError, () => r.readTo((view) => view.byteLength + 1), "sink over-reports");
	throwsKind(RangeError, () => r.readTo(() => 0.5), "sink fractional");
	equal(r.available, 3, "nothing consumed by bad sinks");
});

run("frame-push-pop-roundtrip", () => {
	const f = new FrameRing(32);
	check(f.push(bytes(1, 2, 3)), "push a");
	check(f.push(bytes(9, 4, 5, 6), 1), "push b with offset");
	check(f.push(new Uint8Array(0)), "push empty frame");
	equal(f.count, 3, "count");
	const out = new Uint8Array(8);
	equal(f.pop(out), 3, "pop a");
	sameBytes(out.subarray(0, 3), bytes(1, 2, 3), "a");
	equal(f.pop(out), 3, "pop b");
	sameBytes(out.subarray(0, 3), bytes(4, 5, 6), "b");
	equal(f.pop(out), 0, "pop empty frame");
	equal(f.count, 0, "count after");
	equal(f.pop(out), -1, "pop when empty");
	equal(f.drop(), -1, "drop when empty");
});

run("frame-next-length-and-count", () => {
	const f = new FrameRing(64);
	equal(f.nextLength, -1, "empty");
	f.push(new Uint8Array(5));
	equal(f.nextLength, 5, "first");
	f.push(new Uint8Array(40));
	equal(f.nextLength, 5, "still first");
	equal(f.count, 2, "count 2");
	equal(f.drop(), 5, "drop first");
	equal(f.nextLength, 40, "second");
	equal(f.count, 1, "count 1");
});

run("frame-header-is-big-endian-length", () => {
	const f = new FrameRing(600);
	const payload = new Uint8Array(258); // 0x0102: both header bytes matter
	payload[0] = 0xaa;
	payload[257] = 0xbb;
	check(f.push(bytes(1)), "push small");
	check(f.push(payload), "push 258");
	equal(f.free, 600 - 3 - 260 - 2, "free after both records");
	const out = new Uint8Array(258);
	equal(f.pop(out), 1, "pop small");
	equal(f.nextLength, 258, "length read back from the stored header");
	equal(f.pop(out), 258, "pop 258");
	equal(out[0], 0xaa, "payload start");
	equal(out[257], 0xbb, "payload end");
});

run("frame-push-is-all-or-nothing", () => {
	const f = new FrameRing(10);
	equal(f.free, 8, "free = capacity - header");
	check(f.push(bytes(1, 2, 3, 4, 5)), "5 bytes uses 7");
	equal(f.free, 1, "free after");
	check(!f.push(bytes(1, 2)), "2 bytes rejected");
	equal(f.count, 1, "count unchanged");
	check(f.push(bytes(7)), "1 byte fits exactly");
	equal(f.free, 0, "full");
	check(!f.push(new Uint8Array(0)), "even empty frame needs a header");
	const out = new Uint8Array(5);
	equal(f.pop(out), 5, "first");
	sameBytes(out, bytes(1, 2, 3, 4, 5), "first data");
	equal(f.pop(out), 1, "second");
	equal(out[0], 7, "second data");
});

run("frame-pop-too-small-into-throws-without-consuming", () => {
	const f = new FrameRing(32);
	f.push(bytes(1, 2, 3, 4));
	throwsKind(RangeError, () => f.pop(new Uint8Array(3)), "too small");
	equal(f.count, 1, "count");
	equal(f.nextLength, 4, "next length");
	const out = new Uint8Array(4);
	equal(f.pop(out), 4, "pop afterwards");
	sameBytes(out, bytes(1, 2, 3, 4), "data intact");
});

run("frame-max-frame-enforced", () => {
	const f = new FrameRing(64, 8);
	equal(f.maxFrame, 8, "maxFrame");
	equal(f.free, 8, "free capped by maxFrame");
	check(f.push(new Uint8Array(8)), "exactly maxFrame");
	throwsKind(RangeError, () => f.push(new Uint8Array(9)), "over maxFrame");
	throwsKind(RangeError, () => f.push(new Uint8Array(20), 0, 9), "span over maxFrame");
	equal(f.count, 1, "count");
	throwsKind(RangeError, () => new FrameRing(64, 0), "maxFrame 0");
	throwsKind(RangeError, () => new FrameRing(64, 65536), "maxFrame 65536");
	throwsKind(RangeError, () => new FrameRing(2), "capacity 2");
	throwsKind(RangeError, () => new FrameRing(-5), "capacity -5");
	throwsKind(TypeError, () => f.push(new Uint16Array(2) as unknown as Uint8Array), "non-byte view");
	throwsKind(RangeError, () => f.push(new Uint8Array(2), 3), "bad offset");
});

run("frame-wraps-around-storage", () => {
	const f = new FrameRing(17); // two queued frames of up to 6 + 2 bytes always fit; odd size keeps records straddling the end
	const out = new Uint8Array(8);
	let v = 0, expect = 0;
	const frame = new Uint8Array(8);
	for (let round = 0; round < 40; round++) {
		const len = (round % 6) + 1;
		for (let i = 0; i < len; i++) frame[i] = v++ & 0xff;
		check(f.push(frame, 0, len), "push round " + round);
		if (f.count === 1) continue;
		const n = f.pop(out);
		for (let i = 0; i < n; i++) equal(out[i], expect++ & 0xff, "round " + round + " byte " + i);
	}
	while (f.count > 0) {
		const n = f.pop(out);
		for (let i = 0; i < n; i++) equal(out[i], expect++ & 0xff, "tail byte");
	}
	equal(expect, v, "all bytes");
});

run("frame-clear-and-drop", () => {
	const f = new FrameRing(16);
	f.push(bytes(1));
	f.push(bytes(2, 2));
	f.push(bytes(3, 3, 3));
	equal(f.drop(), 1, "drop");
	equal(f.count, 2, "count");
	f.clear();
	equal(f.count, 0, "cleared");
	equal(f.nextLength, -1, "next after clear");
	equal(f.free, 14, "free after clear");
	check(f.push(new Uint8Array(14)), "full-size push after clear");
});

run("stream-1mib-odd-chunks-byte-exact", () => {
	// 1 MiB through a 4 KiB ring, written in 1000-byte chunks (partially accepted when the
	// ring is nearly full, so the remainder is retried with an offset) and read in 777-byte chunks.
	const total = 1024 * 1024;
	const r = new Ring(4096);
	const producer = new Producer(total), checker = new Checker();
	const wbuf = new Uint8Array(1000);
	const rbuf = new Uint8Array(777);
	let pending = 0, pendingOff = 0; // bytes of wbuf the ring has not taken yet
	let guard = 0;
	while (checker.consumed < total && guard++ < 1000000) {
		if (pending === 0 && producer.produced < total) {
			pending = producer.fill(wbuf);
			pendingOff = 0;
		}
		if (pending > 0) {
			const n = r.write(wbuf, pendingOff, pending);
			pendingOff += n;
			pending -= n;
		}
		// read only every other turn so the ring fills up and writes get cut short
		if ((guard & 1) === 0 || pending > 0) checker.check(rbuf, r.read(rbuf));
	}
	checker.verify(producer, total);
	equal(r.available, 0, "drained");
});

run("stream-256kib-write-from-read-to-byte-exact", () => {
	// the zero-copy path: the producer writes straight into ring storage (max 1000 per call)
	// and the checker reads straight out of it (max 777 per call), across every wrap position.
	const total = 256 * 1024;
	const r = new Ring(4096);
	const producer = new Producer(total), checker = new Checker();
	const source = (view: Uint8Array): number => producer.fill(view);
	const sink = (view: Uint8Array): number => checker.check(view, view.byteLength);
	let guard = 0;
	while (checker.consumed < total && guard++ < 100000) {
		r.writeFrom(source, 1000);
		r.readTo(sink, 777);
	}
	checker.verify(producer, total);
	equal(r.available, 0, "drained");
});

trace("done\n");
