declare module "embedded:network/dns/resolver/udp" {
  // The SDK's examples/io/udp/dns resolver. Its typing takes any constructor options (this project passes
  // `servers` and `socket: { io: UDP }`) and wants both callbacks, typed as returning null.
  type Request = {
    host: string;
    /** Called with the host name, not a code; `localhost` resolves to "127.0.0.1" before any query. */
    onResolved: (host: string, address: any) => null;
    onError: (host: string) => null;
  };
  class Resolver {
    constructor(options: Record<string, any>);
    close(): void;
    resolve(request: Request): void;
  }
  export default Resolver;
}
