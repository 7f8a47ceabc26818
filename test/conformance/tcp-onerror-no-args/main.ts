// Rule (README, "What the simulator reproduces", TCP): a refused connection arrives as onError() with no argument (no error detail).
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";
import report from "conformance/report";

let tcp: TCP | undefined;
const { end } = report("tcp-onerror-no-args", {
  watchdog: 5000,
  timeout: "timeout: no onError",
  close: () => tcp?.close(),
});

tcp = new TCP({
  address: "127.0.0.1",
  port: Number(config.port), // nothing listens there
  onWritable() { end(false, "connected: something listens on the port"); },
  onError() {
    end(arguments.length === 0, `onError got ${arguments.length} argument(s): ${String(arguments[0])}`);
  },
});
