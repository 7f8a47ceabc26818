// A TCP class for TLSSocket's `TCP.io` that runs every callback inside try/catch. The SDK's TLS throws handshake
// failures from inside its TCP callbacks, where nothing catches them and the VM aborts (a reboot on a board);
// through this class they reach `onFault` instead, with the SDK's message.
import type { Buffer } from "embedded:io/_common";

type Callback = ((this: unknown, ...args: any[]) => void) | undefined;
// `any` at this host boundary: the options and socket are the SDK's own TCP, passed straight through.
type TCPClass = new (options: any) => any;

export default function guardTCP(TCP: TCPClass, onFault: (error: unknown) => void): TCPClass {
  const guard = (callback: Callback): Callback => callback && function (this: unknown, ...args: any[]) {
    try {
      callback.apply(this, args);
    } catch (error) {
      onFault(error);
    }
  };
  return class GuardedTCP {
    #tcp: any;
    constructor(options: any) {
      this.#tcp = new TCP({
        ...options,
        onReadable: guard(options.onReadable),
        onWritable: guard(options.onWritable),
        onError: guard(options.onError),
      });
    }
    read(what?: number | Buffer) { return this.#tcp.read(what); }
    write(what: number | Buffer) { return this.#tcp.write(what); }
    close() { this.#tcp.close(); }
    get format() { return this.#tcp.format; }
    set format(value) { this.#tcp.format = value; }
    get remoteAddress() { return this.#tcp.remoteAddress; }
    get remotePort() { return this.#tcp.remotePort; }
  };
}
