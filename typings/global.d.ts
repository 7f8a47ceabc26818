// Globals of the Moddable runtime that device code uses.
declare function trace(...values: unknown[]): void;
interface StringConstructor { fromArrayBuffer(buffer: ArrayBuffer): string }
interface ArrayBufferConstructor { fromString(string: string): ArrayBuffer }
