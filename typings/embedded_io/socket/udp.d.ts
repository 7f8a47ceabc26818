declare module "embedded:io/socket/udp" {
  // The SDK's typing has no close() (its implementations do); device code here only hands UDP to the resolver.
  type Options = {
    port?: number;
    address?: string;
    onReadable?: (this: UDP, packets: number) => void;
    onError?: () => void;
    format?: "buffer";
    target?: any;
  } & ({} | { multicast: string; timeToLive: number });
  class UDP {
    constructor(options: Options);
    /** Sends one datagram. */
    write(buffer: ByteBuffer, address: string, port: number): void;
    /** The next datagram, tagged with its sender. */
    read(): ArrayBuffer & { address: string; port: number };
    get format(): "buffer";
    set format(value: "buffer");
  }
  export default UDP;
}
