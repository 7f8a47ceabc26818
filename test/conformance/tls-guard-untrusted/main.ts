// Rule (moddable-platform.md, TLS): a handshake failure is thrown from inside the TCP callback TLSSocket gave its TCP,
// so a TCP class passed as `TCP.io` that wraps the real TCP and runs each callback in try/catch receives it, with
// the board's message, and the VM does not abort.
// Here: the server's leaf + CA come from a CA the device does not trust: "TLS: certificate: auth err".
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";

const EXPECTED = "TLS: certificate: auth err";
const CASE = "tls-guard-untrusted";
let ended = false;
let socket: TLSSocket | undefined;
const watchdog = Timer.set(() => end(false, "timeout: nothing caught"), 5000);
function end(ok: boolean, why = "") {
  if (ended) return;
  ended = true;
  Timer.clear(watchdog);
  socket?.close();
  trace(ok ? `ok ${CASE}\n` : `not ok ${CASE} ${why}\n`);
  trace("done\n");
}

function caught(error: unknown) {
  const message = error instanceof Error ? error.message : String(error);
  end(message === EXPECTED, `caught "${message}", expected "${EXPECTED}"`);
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

socket = new TLSSocket({
  address: "127.0.0.1",
  port: Number(config.port),
  host: String(config.host),
  secure: { certificate: new Resource(String(config.ca)).slice(0) },
  TCP: { io: GuardedTCP },
  onWritable() { end(false, "the handshake succeeded"); },
  onError() { end(false, "onError: the failure was delivered, not thrown"); },
});
