// Rule (moddable-platform.md, TCP): a peer close arrives as onError() with no argument, after the bytes it sent.
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";

const CASE = "tcp-peer-close-onerror";
let ended = false;
let tcp: TCP | undefined;
const watchdog = Timer.set(() => end(false, "timeout: no onError"), 5000);
function end(ok: boolean, why = "") {
  if (ended) return;
  ended = true;
  Timer.clear(watchdog);
  tcp?.close();
  trace(ok ? `ok ${CASE}\n` : `not ok ${CASE} ${why}\n`);
  trace("done\n");
}

let received = "";
tcp = new TCP({
  address: "127.0.0.1",
  port: Number(config.port), // the server sends "bye" and closes
  onReadable(count: number) {
    received += String.fromArrayBuffer(this.read(count) as ArrayBuffer);
  },
  onError() {
    if (arguments.length !== 0) return end(false, `onError got ${arguments.length} argument(s)`);
    end(received === "bye", `onError came after "${received}", not after "bye"`);
  },
});
