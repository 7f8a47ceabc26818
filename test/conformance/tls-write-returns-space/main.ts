// Rule (README, "What the simulator reproduces", TLS): write() sends one record and returns the TCP's space left
// less 32, not the count written. With AES-128-GCM a record is 29 bytes more than its data, so after the first
// onWritable(count) (the TCP's space less 96), write() of 4 bytes returns count + 96 - 33 - 32 = count + 31.
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";
import report from "conformance/report";

let socket: TLSSocket | undefined;
const { end } = report("tls-write-returns-space", { watchdog: 5000, close: () => socket?.close() });

socket = new TLSSocket({
  address: "127.0.0.1",
  port: Number(config.port),
  host: String(config.host),
  secure: { certificate: new Resource(String(config.ca)).slice(0) },
  TCP: { io: TCP },
  onWritable(count: number) {
    const result = socket!.write(ArrayBuffer.fromString("ping"));
    end(result === count + 31, `onWritable(${count}), write(4 bytes) returned ${result}, expected ${count + 31}`);
  },
  onError() { end(false, "onError"); },
});
