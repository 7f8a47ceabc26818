// Rule (README, "What the simulator reproduces", TLS): TLSSocket calls its callbacks with `this` set to an internal object, not the
// socket: device code must use closures.
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";
import report from "conformance/report";

let socket: TLSSocket | undefined;
const { end } = report("tls-this-not-socket", {
  watchdog: 5000,
  timeout: "timeout: no onWritable",
  close: () => socket?.close(),
});

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
