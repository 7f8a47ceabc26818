// Rule (moddable-platform.md, TCP): a connection reset by the peer arrives as onError() with no argument.
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";

const CASE = "tcp-reset-onerror";
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
  port: Number(config.port), // the server accepts, then resets the connection
  onError() {
    end(arguments.length === 0, `onError got ${arguments.length} argument(s): ${String(arguments[0])}`);
  },
});
