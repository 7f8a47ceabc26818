// Rule (moddable-platform.md, TLS): every handshake failure is an exception thrown from inside the TCP callback that
// TLSSocket gave its TCP. Unguarded, nothing catches it: the VM stops with "XS abort: unhandled exception" (a board
// reboots); it is not delivered to onError.
// Here: a good server (leaf + CA), but the device gives no CA, so verification fails: "TLS: certificate: auth err".
// The device cannot report after an abort: it traces `expect-abort`, and the runner checks how the run ended.
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import config from "mc/config";

const CASE = "tls-abort-no-ca";
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

trace("expect-abort TLS: certificate: auth err\n");
socket = new TLSSocket({
  address: "127.0.0.1",
  port: Number(config.port),
  host: String(config.host),
  secure: {} /* no CA */,
  TCP: { io: TCP },
  onWritable() { end(false, "the handshake succeeded"); },
  onError() { end(false, "onError: the failure was delivered, not thrown"); },
});
