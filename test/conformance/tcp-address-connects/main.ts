// Rule (moddable-platform.md, TCP): a TCP socket connects to a dotted IPv4 `address` and `port`; bytes go both ways.
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";

const CASE = "tcp-address-connects";
let ended = false;
let tcp: TCP | undefined;
const watchdog = Timer.set(() => end(false, "timeout"), 5000);
function end(ok: boolean, why = "") {
  if (ended) return;
  ended = true;
  Timer.clear(watchdog);
  tcp?.close();
  trace(ok ? `ok ${CASE}\n` : `not ok ${CASE} ${why}\n`);
  trace("done\n");
}

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
