// Rule (README, "What the simulator reproduces", TLS): TLSSocket makes its TCP with every option it was given
// (`new options.TCP.io({ ...options, onReadable, onWritable, onError })`), so a TCP class sees `host`, `secure`,
// `TCP`, `nodelay` and anything else the app passed.
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";
import report from "conformance/report";

let socket: TLSSocket | undefined;
const { end } = report("tls-tcp-gets-all-options", { watchdog: 5000, close: () => socket?.close() });

let seen: string[] = [];
class RecordingTCP {
  #tcp: TCP;
  constructor(options: any) {
    seen = Object.keys(options);
    this.#tcp = new TCP(options);
  }
  read(what?: any) { return this.#tcp.read(what); }
  write(what: any) { return this.#tcp.write(what); }
  close() { this.#tcp.close(); }
  get format() { return this.#tcp.format; }
  set format(value) { this.#tcp.format = value; }
}

const wanted = ["address", "port", "host", "secure", "TCP", "nodelay", "onReadable", "onWritable", "onError"];
socket = new TLSSocket({
  address: "127.0.0.1",
  port: Number(config.port),
  host: String(config.host),
  nodelay: true,
  secure: { certificate: new Resource(String(config.ca)).slice(0) },
  TCP: { io: RecordingTCP },
  onWritable() {
    const missing = wanted.filter((key) => seen.indexOf(key) < 0);
    end(missing.length === 0, `the TCP got ${seen.join(",")}; missing ${missing.join(",")}`);
  },
  onError() { end(false, "onError"); },
});
