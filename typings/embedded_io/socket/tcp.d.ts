declare module "embedded:io/socket/tcp" {
  import type { Buffer } from "embedded:io/_common";
  /** The SDK connects to a dotted IPv4 `address` only: a `host` name makes the constructor throw "invalid address". */
  export type Options = ({ address: string; port: number } | { from: object }) & {
    nodelay?: boolean;
    onReadable?: (this: TCP, bytes: number) => void;
    onWritable?: (this: TCP, bytes: number) => void;
    /** Called with no argument: the SDK gives no detail for refusal, reset or peer close. */
    onError?: (this: TCP) => void;
    format?: "number" | "buffer";
  };
  export default class TCP {
    constructor(options: Options);
    readonly remoteAddress: string | undefined;
    readonly remotePort: number | undefined;
    /** Throws "invalid" when asked for more than is readable. */
    read(byteLength?: number): number | ArrayBuffer | undefined;
    read(buffer: Buffer): number;
    /** Throws "would block" when larger than the space onWritable last reported. */
    write(value: number | Buffer): void;
    close(): void;
    get format(): "number" | "buffer";
    set format(value: "number" | "buffer");
  }
}
