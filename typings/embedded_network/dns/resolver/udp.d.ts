declare module "embedded:network/dns/resolver/udp" {
  export type Options = {
    servers: string[];
    socket: { io: new (options: any) => any };
  };
  export type ResolveOptions = {
    host: string;
    onResolved?: (host: string, address: string) => void;
    onError?: (host: string) => void;
  };
  export default class Resolver {
    constructor(options: Options);
    resolve(options: ResolveOptions): void;
  }
}
