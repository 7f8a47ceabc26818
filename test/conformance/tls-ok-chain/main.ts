// Rule (README, "What the simulator reproduces", TLS): a server that sends its leaf and the issuing CA, with that CA given in
// secure.certificate, passes verification (TLS 1.2, P-256) and carries bytes both ways.
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";
import report from "conformance/report";

let socket: TLSSocket | undefined;
const { end } = report("tls-ok-chain", { watchdog: 5000, close: () => socket?.close() });

const sent = "hello over tls";
let received = "";
let wrote = false;
socket = new TLSSocket({
  address: "127.0.0.1",
  port: Number(config.port), // an echo server sending leaf + CA
  host: String(config.host),
  secure: { certificate: new Resource(String(config.ca)).slice(0) },
  TCP: { io: TCP },
  onWritable(count: number) {
    if (wrote) return;
    if (count < sent.length) return end(false, `onWritable(${count}): too little space`);
    wrote = true;
    socket!.write(ArrayBuffer.fromString(sent));
  },
  onReadable(count: number) {
    received += String.fromArrayBuffer(socket!.read(count) as ArrayBuffer);
    if (received.length >= sent.length) end(received === sent, `echo was "${received}"`);
  },
  onError() { end(false, "onError: the handshake or the connection failed"); },
});
