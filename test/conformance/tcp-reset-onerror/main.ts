// Rule (README, "What the simulator reproduces", TCP): a connection reset by the peer arrives as onError() with no argument.
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";
import report from "conformance/report";

let tcp: TCP | undefined;
const { end } = report("tcp-reset-onerror", {
  watchdog: 5000,
  timeout: "timeout: no onError",
  close: () => tcp?.close(),
});

tcp = new TCP({
  address: "127.0.0.1",
  port: Number(config.port), // the server accepts, then resets the connection
  onError() {
    end(arguments.length === 0, `onError got ${arguments.length} argument(s): ${String(arguments[0])}`);
  },
});
