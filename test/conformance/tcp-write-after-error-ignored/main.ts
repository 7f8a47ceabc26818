// Rule (moddable-platform.md, TCP): a write after an error is silently ignored (no throw).
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";

const CASE = "tcp-write-after-error-ignored";
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

tcp = new TCP({
  address: "127.0.0.1",
  port: Number(config.port), // nothing listens there
  onWritable() { end(false, "connected: something listens on the port"); },
  onError() {
    try {
      this.write(new ArrayBuffer(16));
      end(true);
    } catch (error) {
      end(false, `write after onError threw "${error instanceof Error ? error.message : String(error)}"`);
    }
  },
});
