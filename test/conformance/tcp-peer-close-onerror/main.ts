// Rule (README, "What the simulator reproduces", TCP): a peer close arrives as onError() with no argument, and only
// after the bytes sent before it have been read: here they are read on the next turn, not inside onReadable.
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";
import report from "conformance/report";

let tcp: TCP | undefined;
const { end } = report("tcp-peer-close-onerror", {
  watchdog: 5000,
  timeout: "timeout: no onError",
  close: () => tcp?.close(),
});

let received = "";
tcp = new TCP({
  address: "127.0.0.1",
  port: Number(config.port), // the server sends "bye" and closes
  onReadable(count: number) {
    Timer.set(() => { received += String.fromArrayBuffer(tcp!.read(count) as ArrayBuffer); });
  },
  onError() {
    if (arguments.length !== 0) return end(false, `onError got ${arguments.length} argument(s)`);
    end(received === "bye", `onError came after "${received}", not after "bye"`);
  },
});
