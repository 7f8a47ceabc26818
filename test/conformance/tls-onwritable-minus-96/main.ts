// Rule (moddable-platform.md, TLS): onWritable comes only after the handshake and reports the TCP's space minus 96;
// the SDK's Linux simulator's TCP reports 1536, so 1440 (observed). The TCP's space is what the SDK's TLSSocket keeps
// (modules/crypt/ssl/session_419.js): the count of the TCP's last onWritable, less the bytes written to it since;
// usually the TCP has reported 1536 again before the handshake ends, which gives the 1440.
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";
import report from "conformance/report";

let socket: TLSSocket | undefined;
const { end, check } = report("tls-onwritable-minus-96", {
  watchdog: 5000,
  timeout: "timeout: no onWritable",
  close: () => socket?.close(),
});

// A TCP that keeps the count its onWritable last reported and the bytes written to it since.
const reported: number[] = [];
let space = 0;
class SpyTCP {
  #tcp: TCP;
  constructor(options: any) {
    const onWritable = options.onWritable;
    this.#tcp = new TCP({
      ...options,
      onWritable(count: number) {
        reported.push(count);
        space = count;
        onWritable.call(this, count);
      },
    });
  }
  read(what?: any) { return this.#tcp.read(what); }
  write(what: any) {
    space -= what.byteLength;
    return this.#tcp.write(what);
  }
  close() { this.#tcp.close(); }
  get format() { return this.#tcp.format; }
  set format(value) { this.#tcp.format = value; }
}

socket = new TLSSocket({
  address: "127.0.0.1",
  port: Number(config.port),
  host: String(config.host),
  secure: { certificate: new Resource(String(config.ca)).slice(0) },
  TCP: { io: SpyTCP },
  onWritable(count: number) {
    const tcp1536 = reported[0] === 1536; // the space of a fresh connection
    check("tcp-reports-1536", tcp1536, `the TCP first reported ${reported[0]}`);
    if (count !== space - 96) end(false, `TLS reported ${count}; the TCP's space was ${space} (TCP reported ${reported.join(", ")})`);
    else if (space === 1536 && count !== 1440) end(false, `TLS reported ${count}, not 1440`);
    else end(true);
  },
  onError() { end(false, "onError"); },
});
