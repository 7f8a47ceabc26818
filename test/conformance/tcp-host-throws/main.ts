// Rule (moddable-platform.md, TCP): a name in `host` is not resolved: the constructor throws "invalid address".
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";

const CASE = "tcp-host-throws";
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

// `any`: the SDK's typings accept `host`, ours do not (the implementations do not either).
const options: any = {
  host: String(config.host),
  port: Number(config.port),
  onWritable() { end(false, `connected to ${String(config.host)} by name`); },
  onError() { end(false, "onError instead of a throw"); },
};
try {
  tcp = new TCP(options);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  end(message === "invalid address", `threw "${message}", not "invalid address"`);
}
