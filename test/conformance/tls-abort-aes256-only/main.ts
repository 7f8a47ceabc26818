// Rule (moddable-platform.md, TLS): every handshake failure is an exception thrown from inside the TCP callback that
// TLSSocket gave its TCP. Unguarded, nothing catches it: the VM stops with "XS abort: unhandled exception" (a board
// reboots); it is not delivered to onError.
// Here: the server's only suite is ECDHE-ECDSA-AES256-GCM-SHA384, which the board does not offer: "TLS: alert: 2, 40".
// The device cannot report after an abort: it traces `expect-abort`, and the runner checks how the run ended.
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";

const CASE = "tls-abort-aes256-only";
let ended = false;
let socket: TLSSocket | undefined;
const watchdog = Timer.set(() => end(false, "timeout: no abort and no callback"), 5000);
function end(ok: boolean, why = "") {
  if (ended) return;
  ended = true;
  Timer.clear(watchdog);
  socket?.close();
  trace(ok ? `ok ${CASE}\n` : `not ok ${CASE} ${why}\n`);
  trace("done\n");
}

trace("expect-abort TLS: alert: 2, 40\n");
socket = new TLSSocket({
  address: "127.0.0.1",
  port: Number(config.port),
  host: String(config.host),
  secure: { certificate: new Resource(String(config.ca)).slice(0) },
  TCP: { io: TCP },
  onWritable() { end(false, "the handshake succeeded"); },
  onError() { end(false, "onError: the failure was delivered, not thrown"); },
});
