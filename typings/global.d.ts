// Globals of the Moddable runtime, as the SDK types them for TypeScript builds (its xs/includes/xs.d.ts, which
// mcconfig passes to tsc through `types`). Only names the SDK declares; shapes no wider than the SDK's.

/** The XS log. The SDK types its arguments as strings, numbers and booleans only. */
interface Trace {
  (...values: (string | number | boolean)[]): void;
  left(text: string | ArrayBufferLike, conversation?: string): void;
  center(text: string | ArrayBufferLike, conversation?: string): void;
  right(text: string | ArrayBufferLike, conversation?: string): void;
}
declare const trace: Trace;

/** Bytes held by the host (a Resource in flash, for one): it has a length, but it is not an ArrayBuffer. */
declare class HostBuffer {
  readonly byteLength: number;
  // Nominal: nothing but a host buffer is a HostBuffer.
  private brand: boolean;
}

// The SDK counts a host buffer among the ArrayBufferLike types...
interface ArrayBufferTypes {
  HostBuffer: HostBuffer;
}
// ...and a ByteBuffer (what ECMA-419 read/write take) is any of those, or a byte-sized view on one.
interface ByteBufferTypes extends ArrayBufferTypes {
  Uint8Array: Uint8Array;
  Uint8ClampedArray: Uint8ClampedArray;
  Int8Array: Int8Array;
  DataView: DataView;
}
type ByteBuffer = ByteBufferTypes[keyof ByteBufferTypes];

interface ObjectConstructor {
  freeze<T>(value: T, deep?: boolean | number): Readonly<T>;
}
interface JSON {
  parse(text: string, reviver?: string[]): any;
}
interface StringConstructor {
  fromArrayBuffer(buffer: ArrayBufferLike): string;
}
interface ArrayBufferConstructor {
  fromString(text: string): ArrayBuffer;
  fromBigInt(value: bigint): ArrayBuffer;
}
interface ArrayBuffer {
  concat(...buffers: ArrayBufferLike[]): ArrayBuffer;
}
interface Uint8Array {
  toHex(): string;
  toBase64(): string;
}
interface FromBase64Options {
  alphabet?: "base64" | "base64url";
  lastChunkHandling?: "loose" | "strict" | "stop-before-partial";
  omitPadding?: boolean;
}
interface Uint8ArrayConstructor {
  fromBase64(text: string, options?: FromBase64Options): Uint8Array;
  fromHex(text: string): Uint8Array;
}
interface BigIntConstructor {
  bitLength(value: bigint): number;
  fromArrayBuffer(buffer: ArrayBufferLike): bigint;
}
// XS's integer math.
interface Math {
  idiv(a: number, b: number): number;
  imod(a: number, b: number): number;
  imuldiv(a: number, b: number, c: number): number;
  irandom(a: number, b: number): number;
  irem(a: number, b: number): number;
  mod(a: number, b: number): number;
}
// Host classes and functions by name.
declare function Native(name: string): new (...args: any[]) => any;
declare function native(name: string): (...args: any[]) => any;
