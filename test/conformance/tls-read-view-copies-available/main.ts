// Rule (README, "What the simulator reproduces", TLS): read(view) copies min(view length, available) and returns the count; unlike TCP it
// does not throw when the view is longer than what is readable.
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";
import report, { messageOf } from "conformance/report";

let socket: TLSSocket | undefined;
const { end } = report("tls-read-view-copies-available", { watchdog: 5000, close: () => socket?.close() });

const sent = "ping";
let wrote = false;
socket = new TLSSocket({
  address: "127.0.0.1",
  port: Number(config.port), // an echo server
  host: String(config.host),
  secure: { certificate: new Resource(String(config.ca)).slice(0) },
  TCP: { io: TCP },
  onWritable() {
    if (wrote) return;
    wrote = true;
    socket!.write(ArrayBuffer.fromString(sent));
  },
  onReadable(count: number) {
    const view = new Uint8Array(count + 60);
    let n: unknown;
    try {
      n = socket!.read(view);
    } catch (error) {
      return end(false, `read(view of ${view.length}) with ${count} readable threw "${messageOf(error)}"`);
    }
    const text = String.fromArrayBuffer(view.buffer.slice(0, count));
    end(n === count && sent.startsWith(text), `read(view of ${view.length}) with ${count} readable returned ${String(n)} ("${text}")`);
  },
  onError() { end(false, "onError"); },
});
