// Rule (moddable-platform.md, TLS): a peer close is onError(), after the bytes the peer sent were read.
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";
import report from "conformance/report";

let socket: TLSSocket | undefined;
const { end } = report("tls-peer-close-onerror", {
  watchdog: 5000,
  timeout: "timeout: no onError",
  close: () => socket?.close(),
});

const expected = 5; // the server sends 5 bytes, then closes
let received = 0;
socket = new TLSSocket({
  address: "127.0.0.1",
  port: Number(config.port),
  host: String(config.host),
  secure: { certificate: new Resource(String(config.ca)).slice(0) },
  TCP: { io: TCP },
  onReadable(count: number) {
    const bytes = socket!.read(count);
    if (bytes instanceof ArrayBuffer) received += bytes.byteLength;
  },
  onError() {
    end(received === expected, `onError after ${received} of ${expected} bytes`);
  },
});
