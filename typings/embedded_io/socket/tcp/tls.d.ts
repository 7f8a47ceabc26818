// `embedded:io/socket/tcp/tls`: the SDK's examples/io/tcp/tlssocket/tlssocket.js. The SDK's manifest_typings.json
// maps no typing to this specifier, so manifests map it here, under `modules` (see hosts/esp32/manifest.json).
// It uses only names the SDK declares (the global ByteBuffer, the TCP module's Options); its shapes follow
// tlssocket.js.
declare module "embedded:io/socket/tcp/tls" {
  import type { Options as TCPOptions } from "embedded:io/socket/tcp";
  export type SecureOptions = {
    /** A trusted CA certificate, DER. Without one, verification fails. */
    certificate?: ArrayBuffer;
    /** Default true. */
    verify?: boolean;
    /** The certificate name (SNI); overrides `host`. */
    serverName?: string;
    /** Ignored: tlssocket.js forces TLS 1.2 (0x0303). */
    protocolVersion?: number;
    clientCertificates?: ArrayBuffer[];
    clientKey?: ArrayBuffer;
    applicationLayerProtocolNegotiation?: string[];
    trace?: boolean;
    cache?: boolean;
  };
  export type Options = {
    /** The dotted IPv4 address the TCP socket connects to. */
    address: string;
    port: number;
    /** The certificate name (SNI) only: the socket connects to `address`. */
    host?: string;
    secure?: SecureOptions;
    /**
     * The TCP class the TLS socket builds its connection with (required). Its constructor gets all of these
     * options, with the TLS socket's own onReadable / onWritable / onError in place of the caller's.
     */
    TCP: { io: new (options: TCPOptions) => object };
    nodelay?: boolean;
    /** Callbacks get an internal object as `this`, not the socket: use closures. */
    onReadable?: (this: object, bytes: number) => void;
    /** Only after the handshake; the TCP space less 96 bytes of record overhead. */
    onWritable?: (this: object, bytes: number) => void;
    onError?: (this: object) => void;
    format?: "number" | "buffer";
  };
  export default class TLSSocket {
    constructor(options: Options);
    /**
     * Nothing held: undefined. No argument: everything held, as an ArrayBuffer (format "buffer") or the next byte
     * (format "number"). A count: a new ArrayBuffer of exactly that many bytes; throws "invalid" when more than is held.
     */
    read(count?: number): ArrayBuffer | number | undefined;
    /** Copies min(buffer length, bytes held) into the buffer and returns that count; undefined when nothing is held. */
    read(buffer: ByteBuffer): number | undefined;
    /** Returns a number that is not the count written (the TLS session's own figure). */
    write(buffer: ByteBuffer): number;
    close(): void;
    get format(): "number" | "buffer";
    set format(value: "number" | "buffer");
  }
}
