// Rule (moddable-platform.md, TLS): `secure.serverName` overrides `host` as the certificate name: the server's leaf
// names only other.example; with host "localhost" and serverName "other.example" the handshake succeeds.
// Unguarded: a refusal would abort the VM, which the runner reports as a failure of this case.
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";

const CASE = "tls-servername-overrides-host";
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
  host: String(config.host),
  secure: { certificate: ca, serverName: "other.example" },
  TCP: { io: TCP },
  onWritable() { end(true); },
  onError() { end(false, "onError"); },
});
