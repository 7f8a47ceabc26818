declare module "embedded:io/socket/listener" {
  export type Options = {
    port?: number;
    address?: string;
    onReadable?: (this: Listener, connections: number) => void;
  };
  export default class Listener {
    constructor(options: Options);
    /** A connection to pass as `from` to a new TCP; undefined when none is waiting. */
    read(): object | undefined;
    close(): void;
  }
}
