declare module "embedded:io/socket/listener" {
  import TCP from "embedded:io/socket/tcp";
  // The SDK's typing has no close(), although its implementations (lwip, lin) have one: a caller that closes a
  // listener says so with a cast.
  type Options = {
    port?: number;
    address?: string;
    onReadable?: (this: Listener, requests: number) => void;
    format?: "socket/tcp";
    target?: any;
  };
  class Listener {
    constructor(options: Options);
    /** A waiting connection, to pass as `from` to a new TCP; undefined when none is waiting. */
    read(): TCP | undefined;
    get format(): "socket/tcp";
    set format(value: "socket/tcp");
    readonly port: number;
  }
  export default Listener;
}
