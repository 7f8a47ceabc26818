// The tls-guard-* cases (test/conformance/README.md): a TLSSocket facing a refusal, with a TCP class for `TCP.io`
// that wraps the real TCP and runs each callback in try/catch (as modules/tls/guard.ts does, written out here so the
// case depends on the SDK only). The handshake failure must be caught there with the board's message, with no abort,
// no handshake and no onError.
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";
import report, { described } from "conformance/report";

export type GuardCaseOptions = {
  /** false: the device gives no CA (`secure: {}`), and the manifest names none. Default: the CA `config.ca`. */
  ca?: boolean;
  /** The socket's `host` (the certificate name); null: no `host` at all. Default: `config.host`. */
  host?: string | null;
};

/** Run the case `name`: the failure caught must read `expected` ("<name>: <message>", as the board prints it). */
export default function guardCase(name: string, expected: string, { ca = true, host = String(config.host) }: GuardCaseOptions = {}) {
  let socket: TLSSocket | undefined;
  const { end } = report(name, { watchdog: 5000, timeout: "timeout: nothing caught", close: () => socket?.close() });

  function caught(error: unknown) {
    const message = described(error);
    end(message === expected, `caught "${message}", expected "${expected}"`);
  }

  type Callback = ((this: unknown, ...args: any[]) => void) | undefined;
  const guard = (callback: Callback): Callback => callback && function (this: unknown, ...args: any[]) {
    try {
      callback.apply(this, args);
    } catch (error) {
      caught(error);
    }
  };
  class GuardedTCP {
    #tcp: TCP;
    constructor(options: any) {
      this.#tcp = new TCP({
        ...options,
        onReadable: guard(options.onReadable),
        onWritable: guard(options.onWritable),
        onError: guard(options.onError),
      });
    }
    read(what?: any) { return this.#tcp.read(what); }
    write(what: any) { return this.#tcp.write(what); }
    close() { this.#tcp.close(); }
    get format() { return this.#tcp.format; }
    set format(value) { this.#tcp.format = value; }
  }

  const where = host === null
    ? { address: "127.0.0.1", port: Number(config.port) }
    : { address: "127.0.0.1", port: Number(config.port), host };
  socket = new TLSSocket({
    ...where,
    secure: ca ? { certificate: new Resource(String(config.ca)).slice(0) } : {} /* no CA */,
    TCP: { io: GuardedTCP },
    onWritable() { end(false, "the handshake succeeded"); },
    onError() { end(false, "onError: the failure was delivered, not thrown"); },
  });
}
