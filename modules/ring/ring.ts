// ring: fixed-size byte buffers for device I/O. Owns Ring (a byte FIFO whose storage is
// allocated once at construction and never grows, with zero-copy writeFrom/readTo for sockets)
// and FrameRing (a FIFO of whole length-prefixed records kept in one such Ring).
// Copies use Uint8Array.prototype.set only; nothing is allocated per byte on the data path.

/** Largest capacity a Ring accepts (16 MiB); anything bigger is certainly a bug on a device. */
const MAX_CAPACITY = 16 * 1024 * 1024;

/** Bytes of the record header FrameRing puts before each payload (big-endian uint16 length). */
const HEADER = 2;

/** Largest payload a 2-byte length header can describe. */
const MAX_FRAME = 0xffff;

function toBytes(value: unknown): Uint8Array {
	if (value instanceof Uint8Array) return value;
	if (value instanceof ArrayBuffer) return new Uint8Array(value);
	throw new TypeError("ring: expected Uint8Array or ArrayBuffer");
}

function spanError(offset: unknown, length: unknown, size: number): RangeError {
	return new RangeError(
		"ring: offset " + String(offset) + " and length " + String(length) + " do not fit a view of " + size + " bytes",
	);
}

function countError(what: string, value: unknown): RangeError {
	return new RangeError("ring: " + what + " must be a non-negative integer (got " + String(value) + ")");
}

/**
 * A byte FIFO over one fixed Uint8Array. Writes take what fits and report how much; reads
 * take what is there and report how much. Nothing ever grows and nothing throws on full/empty.
 *
 * Invariant: when the ring is empty its read position is 0, so an empty ring always offers
 * its whole storage as one contiguous span to writeFrom.
 */
export default class Ring {
	readonly #storage: Uint8Array<ArrayBuffer>;
	readonly #capacity: number;
	/** Index of the first readable byte. */
	#head = 0;
	/** Number of readable bytes. */
	#count = 0;

	constructor(capacity: number) {
		if (!Number.isInteger(capacity) || capacity <= 0)
			throw new RangeError("ring: capacity must be a positive integer (got " + String(capacity) + ")");
		if (capacity > MAX_CAPACITY)
			throw new RangeError("ring: capacity " + capacity + " exceeds the 16 MiB limit");
		this.#capacity = capacity;
		this.#storage = new Uint8Array(capacity);
	}

	/** Total bytes the ring can hold. */
	get capacity(): number {
		return this.#capacity;
	}

	/** Bytes that can be read now. */
	get available(): number {
		return this.#count;
	}

	/** Bytes that can be written now. */
	get free(): number {
		return this.#capacity - this.#count;
	}

	/**
	 * Copies as much of bytes[offset, offset + length) as fits and returns the count
	 * (0 when full). Throws TypeError for anything but a Uint8Array or ArrayBuffer and
	 * RangeError when offset/length do not describe a span of it.
	 */
	write(bytes: Uint8Array | ArrayBuffer, offset = 0, length?: number): number {
		const src = bytes instanceof Uint8Array ? bytes : toBytes(bytes);
		const size = src.byteLength;
		if (length === undefined) length = size - offset;
		if ((offset >>> 0) !== offset || (length >>> 0) !== length || offset + length > size)
			throw spanError(offset, length, size);
		const cap = this.#capacity;
		let n = cap - this.#count;
		if (length < n) n = length;
		if (n === 0) return 0;
		let w = this.#head + this.#count;
		if (w >= cap) w -= cap;
		const storage = this.#storage;
		const first = cap - w;
		if (n <= first) {
			storage.set(offset === 0 && n === size ? src : src.subarray(offset, offset + n), w);
		} else {
			storage.set(src.subarray(offset, offset + first), w);
			storage.set(src.subarray(offset + first, offset + n), 0);
		}
		this.#count += n;
		return n;
	}

	/**
	 * Moves up to `length` readable bytes into into[offset...] and consumes them; returns
	 * the count (0 when empty). Same argument checks as write.
	 */
	read(into: Uint8Array | ArrayBuffer, offset = 0, length?: number): number {
		const dst = into instanceof Uint8Array ? into : toBytes(into);
		const size = dst.byteLength;
		if (length === undefined) length = size - offset;
		if ((offset >>> 0) !== offset || (length >>> 0) !== length || offset + length > size)
			throw spanError(offset, length, size);
		const count = this.#count;
		let n = count;
		if (length < n) n = length;
		if (n === 0) return 0;
		const cap = this.#capacity;
		const storage = this.#storage;
		const h = this.#head;
		const first = cap - h;
		if (n <= first) {
			dst.set(storage.subarray(h, h + n), offset);
		} else {
			dst.set(storage.subarray(h, cap), offset);
			dst.set(storage.subarray(0, n - first), offset + first);
		}
		if (n === count) {
			this.#head = 0;
		} else {
			const next = h + n;
			this.#head = next >= cap ? next - cap : next;
		}
		this.#count = count - n;
		return n;
	}

	/**
	 * Copies readable bytes, starting `skip` bytes past the read position, into `into`
	 * without consuming anything. Returns the count (0 when skip >= available).
	 */
	peek(into: Uint8Array | ArrayBuffer, skip = 0): number {
		const dst = into instanceof Uint8Array ? into : toBytes(into);
		if ((skip >>> 0) !== skip) throw countError("skip", skip);
		let n = this.#count - skip;
		if (n <= 0) return 0;
		if (dst.byteLength < n) n = dst.byteLength;
		if (n === 0) return 0;
		const cap = this.#capacity;
		const storage = this.#storage;
		let start = this.#head + skip;
		if (start >= cap) start -= cap;
		const first = cap - start;
		if (n <= first) {
			dst.set(storage.subarray(start, start + n), 0);
		} else {
			dst.set(storage.subarray(start, cap), 0);
			dst.set(storage.subarray(0, n - first), first);
		}
		return n;
	}

	/** Discards up to n readable bytes; returns how many were discarded. */
	skip(n: number): number {
		if ((n >>> 0) !== n) throw countError("skip count", n);
		if (n > this.#count) n = this.#count;
		this.#consume(n);
		return n;
	}

	/** Discards everything. */
	clear(): void {
		this.#head = 0;
		this.#count = 0;
	}

	/**
	 * Zero-copy fill: offers the free space, at most `max` bytes of it (default: all), as at
	 * most two views straight into the ring's storage (the second only after the first was
	 * filled completely and the free space wraps). `source(view)` writes into view[0, k) and
	 * returns k (0 <= k <= view.length); those k bytes become readable. Returns the total
	 * committed. `source` is not called when there is no room or max is 0, and it must not
	 * use this ring. A socket whose read(view) fills the whole view fits as
	 * `ring.writeFrom(v => (socket.read(v), v.length), bytesWaiting)`.
	 */
	writeFrom(source: (view: Uint8Array) => number, max?: number): number {
		if (typeof source !== "function") throw new TypeError("ring: source must be a function");
		const cap = this.#capacity;
		let limit = cap - this.#count;
		if (max !== undefined) {
			if (!Number.isInteger(max) || max < 0) throw countError("max", max);
			if (max < limit) limit = max;
		}
		const storage = this.#storage;
		let total = 0;
		// at most two spans: up to the end of storage, then from its start
		for (let span = 0; span < 2 && total < limit; span++) {
			let w = this.#head + this.#count;
			if (w >= cap) w -= cap;
			let len = cap - w;
			if (len > limit - total) len = limit - total;
			const got = source(storage.subarray(w, w + len));
			if ((got >>> 0) !== got || got > len)
				throw new RangeError("ring: source returned " + String(got) + " for a view of " + len + " bytes");
			this.#count += got;
			total += got;
			if (got < len) break;
		}
		return total;
	}

	/**
	 * Zero-copy drain: offers the readable bytes, at most `max` of them (default: all), as at
	 * most two views straight into the ring's storage. `sink(view)` returns how many leading
	 * bytes of view it consumed (0 <= k <= view.length); those are discarded. Returns the
	 * total consumed. `sink` is not called when the ring is empty or max is 0, and it must
	 * not use this ring. A socket fits as `ring.readTo(v => (socket.write(v), v.length), room)`.
	 */
	readTo(sink: (view: Uint8Array) => number, max?: number): number {
		if (typeof sink !== "function") throw new TypeError("ring: sink must be a function");
		let limit = this.#count;
		if (max !== undefined) {
			if (!Number.isInteger(max) || max < 0) throw countError("max", max);
			if (max < limit) limit = max;
		}
		const cap = this.#capacity;
		const storage = this.#storage;
		let total = 0;
		// at most two spans: up to the end of storage, then from its start
		for (let span = 0; span < 2 && total < limit; span++) {
			const h = this.#head;
			let len = cap - h;
			if (len > limit - total) len = limit - total;
			const got = sink(storage.subarray(h, h + len));
			if ((got >>> 0) !== got || got > len)
				throw new RangeError("ring: sink returned " + String(got) + " for a view of " + len + " bytes");
			this.#consume(got);
			total += got;
			if (got < len) break;
		}
		return total;
	}

	#consume(n: number): void {
		const count = this.#count - n;
		if (count === 0) {
			this.#head = 0;
		} else {
			const next = this.#head + n;
			this.#head = next >= this.#capacity ? next - this.#capacity : next;
		}
		this.#count = count;
	}
}

/**
 * A FIFO of whole records (frames) kept in one fixed Ring, for queueing frames without
 * allocating. Each record is stored as a 2-byte big-endian payload length followed by the
 * payload, so a frame of n bytes occupies n + 2 bytes of the capacity. Pushes are
 * all-or-nothing; pops copy a whole frame or nothing.
 */
export class FrameRing {
	readonly #ring: Ring;
	readonly #maxFrame: number;
	readonly #header = new Uint8Array(HEADER);
	#count = 0;
	/** Payload length of the oldest frame, -1 when empty (cached so nextLength is O(1)). */
	#next = -1;

	/**
	 * capacity: total bytes of the underlying ring, headers included (at least 3).
	 * maxFrame: largest payload push accepts, 1 to 65535.
	 */
	constructor(capacity: number, maxFrame: number = MAX_FRAME) {
		if (!Number.isInteger(maxFrame) || maxFrame < 1 || maxFrame > MAX_FRAME)
			throw new RangeError("ring: maxFrame must be an integer from 1 to 65535 (got " + String(maxFrame) + ")");
		if (Number.isInteger(capacity) && capacity > 0 && capacity <= HEADER)
			throw new RangeError("ring: frame ring capacity must be at least " + (HEADER + 1) + " bytes");
		this.#ring = new Ring(capacity);
		this.#maxFrame = maxFrame;
	}

	/** Total bytes of the underlying ring, headers included. */
	get capacity(): number {
		return this.#ring.capacity;
	}

	/** Largest payload push accepts. */
	get maxFrame(): number {
		return this.#maxFrame;
	}

	/** Frames queued. */
	get count(): number {
		return this.#count;
	}

	/** Payload length of the next frame pop would return, or -1 when empty. */
	get nextLength(): number {
		return this.#next;
	}

	/** Largest payload a push would accept right now (free space minus the header, capped at maxFrame). */
	get free(): number {
		let f = this.#ring.free - HEADER;
		if (f < 0) f = 0;
		return f > this.#maxFrame ? this.#maxFrame : f;
	}

	/**
	 * Queues bytes[offset, offset + length) as one frame. Returns false, storing nothing,
	 * when it does not fit. Throws RangeError when length > maxFrame or the span is bad,
	 * TypeError when bytes is not a Uint8Array or ArrayBuffer.
	 */
	push(bytes: Uint8Array | ArrayBuffer, offset = 0, length?: number): boolean {
		const src = bytes instanceof Uint8Array ? bytes : toBytes(bytes);
		const size = src.byteLength;
		if (length === undefined) length = size - offset;
		if ((offset >>> 0) !== offset || (length >>> 0) !== length || offset + length > size)
			throw spanError(offset, length, size);
		if (length > this.#maxFrame)
			throw new RangeError("ring: frame of " + length + " bytes exceeds maxFrame " + this.#maxFrame);
		const ring = this.#ring;
		if (length + HEADER > ring.free) return false;
		const header = this.#header;
		header[0] = length >>> 8;
		header[1] = length & 0xff;
		ring.write(header);
		ring.write(src, offset, length);
		if (this.#count === 0) this.#next = length;
		this.#count++;
		return true;
	}

	/**
	 * Copies the oldest frame into into[0, n), consumes it and returns n; returns -1 when
	 * empty. Throws RangeError, consuming nothing, when into is shorter than the frame.
	 */
	pop(into: Uint8Array | ArrayBuffer): number {
		const dst = into instanceof Uint8Array ? into : toBytes(into);
		const n = this.#next;
		if (n < 0) return -1;
		if (dst.byteLength < n)
			throw new RangeError("ring: frame of " + n + " bytes does not fit in " + dst.byteLength + " bytes");
		const ring = this.#ring;
		ring.skip(HEADER);
		ring.read(dst, 0, n);
		this.#advance();
		return n;
	}

	/** Discards the oldest frame; returns its payload length, or -1 when empty. */
	drop(): number {
		const n = this.#next;
		if (n < 0) return -1;
		this.#ring.skip(HEADER + n);
		this.#advance();
		return n;
	}

	/** Discards every frame. */
	clear(): void {
		this.#ring.clear();
		this.#count = 0;
		this.#next = -1;
	}

	#advance(): void {
		if (--this.#count === 0) {
			this.#next = -1;
		} else {
			const header = this.#header;
			this.#ring.peek(header);
			this.#next = (header[0]! << 8) | header[1]!;
		}
	}
}
