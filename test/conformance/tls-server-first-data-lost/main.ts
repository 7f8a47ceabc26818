// Rule (README, "What the simulator reproduces", TLS): the board's TLSSocket reads on past the server's Finished in
// the same TCP read and drops what it finds there: application data a server sends right after the handshake (a
// server that speaks first) is lost, and a close_notify with it is never reported.
// Here: the server sends 5 bytes as soon as the handshake ends, then closes. The handshake completes (onWritable),
// and then nothing: no onReadable, no onError, for 2 s.
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";
import report from "conformance/report";
import Timer from "timer";

let socket: TLSSocket | undefined;
const { end } = report("tls-server-first-data-lost", { watchdog: 5000, timeout: "timeout: no handshake", close: () => socket?.close() });

let handshook = false;
socket = new TLSSocket({
  address: "127.0.0.1",
  port: Number(config.port),
  host: String(config.host),
  secure: { certificate: new Resource(String(config.ca)).slice(0) },
  TCP: { io: TCP },
  onWritable() {
    if (handshook) return;
    handshook = true;
    Timer.set(() => end(true), 2000);
  },
  onReadable(count: number) { end(false, `onReadable(${count}): the server's first bytes were delivered`); },
  onError() { end(false, handshook ? "onError: the close was reported" : "onError before the handshake"); },
});
