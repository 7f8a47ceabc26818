// Benchmark kernels for the "ring" module, driven from outside (no top-level side effects).
// streamRing moves bytes through a Ring chunk by chunk (write, then read); streamBare is the
// baseline doing the same copies in and out with bare Uint8Array.prototype.set and no ring logic.
import Ring from "ring";

let ring: Ring | undefined;
let input = new Uint8Array(0);
let output = new Uint8Array(0);
let staging = new Uint8Array(0);

/** Allocates the ring and the chunk buffers once; the stream functions allocate nothing. */
export function setupRing(capacity: number, chunk: number): void {
	if (!Number.isInteger(chunk) || chunk <= 0 || chunk > capacity)
		throw new RangeError("ring-bench: chunk must be an integer from 1 to capacity");
	ring = new Ring(capacity);
	input = new Uint8Array(chunk);
	output = new Uint8Array(chunk);
	staging = new Uint8Array(chunk);
	for (let i = 0; i < chunk; i++) input[i] = (i * 31 + 7) & 0xff;
}

/** Streams totalBytes through the ring: each chunk is written, then read back out. Returns bytes moved. */
export function streamRing(totalBytes: number): number {
	const r = ring;
	if (r === undefined) throw new Error("ring-bench: call setupRing first");
	const src = input, dst = output, chunk = src.byteLength;
	let moved = 0;
	while (moved < totalBytes) {
		const left = totalBytes - moved;
		const n = left < chunk ? r.write(src, 0, left) : r.write(src);
		if (n === 0 || r.read(dst) !== n) throw new Error("ring-bench: ring did not pass the chunk through");
		moved += n;
	}
	return moved;
}

/** Baseline: per chunk one set into a staging buffer and one set out of it. Returns bytes moved. */
export function streamBare(totalBytes: number): number {
	const src = input, dst = output, stage = staging, chunk = src.byteLength;
	let moved = 0;
	while (moved < totalBytes) {
		const left = totalBytes - moved;
		if (left < chunk) {
			stage.set(src.subarray(0, left));
			dst.set(stage.subarray(0, left));
			moved += left;
		} else {
			stage.set(src);
			dst.set(stage);
			moved += chunk;
		}
	}
	return moved;
}
