declare module "embedded:io/socket/tcp" {
  export type Options = (
    | (({ address: string } | { host: string }) & { port: number })
    /** A connection accepted by a Listener (its read()), taken over by this socket. */
    | { from: TCP }
  ) & {
    nodelay?: boolean;
    onReadable?: (this: TCP, bytes: number) => void;
    onWritable?: (this: TCP, bytes: number) => void;
    /** Called with no argument: the SDK gives no detail for refusal, reset or peer close. */
    onError?: (this: TCP) => void;
    format?: "number" | "buffer";
    target?: any;
  };
  /**
   * The SDK's typing accepts `host`, but its implementations (lwip, lin) and the simulator connect to a dotted IPv4
   * `address` only: without one the constructor throws "invalid address". Resolve names first.
   */
  export default class TCP {
    constructor(options: Options);
    readonly remoteAddress: string | undefined;
    readonly remotePort: number | undefined;
    /** A byte (format "number") or a new ArrayBuffer; throws "invalid" when asked for more than is readable. */
    read(byteLength?: number): number | ArrayBuffer;
    /**
     * Fills the whole buffer (throws "invalid" when it is longer than what is readable). Typed as returning nothing:
     * the caller knows the count, the buffer's length.
     */
    read(buffer: ByteBuffer): void;
    /** Throws "would block" when larger than the space onWritable last reported. */
    write(value: number | ByteBuffer): void;
    close(): void;
    get format(): "number" | "buffer";
    set format(value: "number" | "buffer");
  }
}
