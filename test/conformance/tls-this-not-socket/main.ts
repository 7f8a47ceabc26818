// Rule (moddable-platform.md, TLS): TLSSocket calls its callbacks with `this` set to an internal object, not the
// socket: device code must use closures.
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";

const CASE = "tls-this-not-socket";
let ended = false;
let socket: TLSSocket | undefined;
const watchdog = Timer.set(() => end(false, "timeout: no onWritable"), 5000);
function end(ok: boolean, why = "") {
  if (ended) return;
  ended = true;
  Timer.clear(watchdog);
  socket?.close();
  trace(ok ? `ok ${CASE}\n` : `not ok ${CASE} ${why}\n`);
  trace("done\n");
}

socket = new TLSSocket({
  address: "127.0.0.1",
  port: Number(config.port),
  host: String(config.host),
  secure: { certificate: new Resource(String(config.ca)).slice(0) },
  TCP: { io: TCP },
  onWritable() {
    const self: unknown = this;
    end(self !== socket && self !== undefined, self === socket ? "`this` is the socket" : "`this` is undefined");
  },
  onError() { end(false, "onError"); },
});
