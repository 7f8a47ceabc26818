// Rule (README, "What the simulator reproduces", TCP): a TCP socket connects to a dotted IPv4 `address` and `port`; bytes go both ways.
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";
import report from "conformance/report";

let tcp: TCP | undefined;
const { end } = report("tcp-address-connects", { watchdog: 5000, close: () => tcp?.close() });

const sent = "ping";
let received = "";
let wrote = false;
tcp = new TCP({
  address: "127.0.0.1",
  port: Number(config.port),
  onWritable(count: number) {
    if (wrote) return;
    if (count < sent.length) return end(false, `onWritable(${count}): too little space`);
    wrote = true;
    this.write(ArrayBuffer.fromString(sent));
  },
  onReadable(count: number) {
    received += String.fromArrayBuffer(this.read(count) as ArrayBuffer);
    if (received.length >= sent.length) end(received === sent, `echo was "${received}"`);
  },
  onError() { end(false, "onError"); },
});
