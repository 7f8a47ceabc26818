// Rule (moddable-platform.md, TLS): TLSSocket connects to `address` and uses `host` only as the SNI / certificate
// name: a name that no resolver knows ("device.test", one of the server certificate's names) still connects.
// Unguarded: a refusal would abort the VM, which the runner reports as a failure of this case.
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";

const CASE = "tls-host-is-only-the-name";
let ended = false;
let socket: TLSSocket | undefined;
const watchdog = Timer.set(() => end(false, "timeout: no handshake"), 5000);
function end(ok: boolean, why = "") {
  if (ended) return;
  ended = true;
  Timer.clear(watchdog);
  socket?.close();
  trace(ok ? `ok ${CASE}\n` : `not ok ${CASE} ${why}\n`);
  trace("done\n");
}

const ca = new Resource(String(config.ca)).slice(0);
socket = new TLSSocket({
  address: "127.0.0.1",
  port: Number(config.port),
  host: "device.test",
  secure: { certificate: ca },
  TCP: { io: TCP },
  onWritable() { end(true); },
  onError() { end(false, "onError"); },
});
