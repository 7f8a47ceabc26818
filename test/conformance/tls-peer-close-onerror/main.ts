// Rule (README, "What the simulator reproduces", TLS): a peer's close is onError() with no argument, after the bytes
// it sent were read. The board reports it from the close_notify record and again when its TCP sees the close, so
// onError can come twice.
// Here: the client speaks first ("go"); the server answers 5 bytes and closes.
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

const expected = 5;
let received = 0;
let asked = false;
socket = new TLSSocket({
  address: "127.0.0.1",
  port: Number(config.port),
  host: String(config.host),
  secure: { certificate: new Resource(String(config.ca)).slice(0) },
  TCP: { io: TCP },
  onWritable() {
    if (asked) return;
    asked = true;
    socket!.write(ArrayBuffer.fromString("go"));
  },
  onReadable(count: number) {
    const bytes = socket!.read(count);
    if (bytes instanceof ArrayBuffer) received += bytes.byteLength;
  },
  onError() {
    end(received === expected && arguments.length === 0, `onError(${arguments.length} arguments) after ${received} of ${expected} bytes`);
  },
});
