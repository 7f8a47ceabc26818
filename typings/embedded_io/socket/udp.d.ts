declare module "embedded:io/socket/udp" {
  export type Options = {
    port?: number;
    onReadable?: (this: UDP, packets: number) => void;
    onError?: (this: UDP) => void;
  };
  export default class UDP {
    constructor(options: Options);
    close(): void;
  }
}
