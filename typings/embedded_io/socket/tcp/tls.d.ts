// The SDK's examples/io/tcp/tlssocket (no typing ships with the SDK: its manifest maps this specifier here).
declare module "embedded:io/socket/tcp/tls" {
  import type { Buffer } from "embedded:io/_common";
  export type SecureOptions = {
    /** A trusted CA certificate, DER. Without one, verification fails. */
    certificate?: ArrayBuffer;
    /** Default true. */
    verify?: boolean;
    serverName?: string;
    protocolVersion?: number;
    clientCertificates?: ArrayBuffer[];
    clientKey?: ArrayBuffer;
    applicationLayerProtocolNegotiation?: string[];
    trace?: boolean;
    cache?: boolean;
  };
  export type Options = {
    address: string;
    port: number;
    /** The certificate name (SNI); the socket connects to `address`. */
    host?: string;
    secure?: SecureOptions;
    /** The TCP class the TLS socket builds its connection with: required. */
    TCP: { io: new (options: any) => any };
    nodelay?: boolean;
    /** Callbacks get an internal object as `this`, not the socket: use closures. */
    onReadable?: (this: object, bytes: number) => void;
    onWritable?: (this: object, bytes: number) => void;
    onError?: (this: object) => void;
    format?: "number" | "buffer";
  };
  export default class TLSSocket {
    constructor(options: Options);
    read(byteLength?: number): number | ArrayBuffer | undefined;
    read(buffer: Buffer): number;
    write(value: Buffer): number;
    close(): void;
    get format(): "number" | "buffer";
    set format(value: "number" | "buffer");
  }
}
