// Rule (moddable-platform.md, TLS): a peer close is onError(), after the bytes the peer sent were read.
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";

const CASE = "tls-peer-close-onerror";
let ended = false;
let socket: TLSSocket | undefined;
const watchdog = Timer.set(() => end(false, "timeout: no onError"), 5000);
function end(ok: boolean, why = "") {
  if (ended) return;
  ended = true;
  Timer.clear(watchdog);
  socket?.close();
  trace(ok ? `ok ${CASE}\n` : `not ok ${CASE} ${why}\n`);
  trace("done\n");
}

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
