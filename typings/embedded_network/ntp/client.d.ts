// `embedded:network/ntp/client`, the SDK's ECMA-419 NTP client (examples/io/udp/ntp). It resolves each name in
// `servers` with `dns`, asks it over `socket` (UDP, port 123), and calls back once: (null, milliseconds since
// 1970, whole seconds) from the first server that answers, or (Error) when none did (on the SDK: five tries two
// seconds apart per server). getTime() throws while a request is under way.
declare module "embedded:network/ntp/client" {
  import type UDP from "embedded:io/socket/udp";
  import type Resolver from "embedded:network/dns/resolver/udp";
  export interface NTPOptions<T = any> {
    servers: string[];
    socket: { io: typeof UDP };
    dns: { io: typeof Resolver };
    target?: T;
  }
  export interface NTPCallback {
    (error: null, time: number): void;
    (error: Error): void;
  }
  export default class NTP<T = any> {
    target?: T;
    constructor(options: NTPOptions<T>);
    close(): void;
    getTime(callback: NTPCallback): void;
  }
}
