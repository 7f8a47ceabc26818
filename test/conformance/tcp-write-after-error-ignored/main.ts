// Rule (README, "What the simulator reproduces", TCP): a write after an error is silently ignored (no throw).
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";
import report, { messageOf } from "conformance/report";

let tcp: TCP | undefined;
const { end } = report("tcp-write-after-error-ignored", {
  watchdog: 5000,
  timeout: "timeout: no onError",
  close: () => tcp?.close(),
});

tcp = new TCP({
  address: "127.0.0.1",
  port: Number(config.port), // nothing listens there
  onWritable() { end(false, "connected: something listens on the port"); },
  onError() {
    try {
      this.write(new ArrayBuffer(16));
      end(true);
    } catch (error) {
      end(false, `write after onError threw "${messageOf(error)}"`);
    }
  },
});
