// Rule (moddable-platform.md, TCP): write() throws "would block" when the buffer is larger than the space onWritable
// last reported, and throws before the connection is up ("would block" on lin, "not ready" on esp32).
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";

const CASE = "tcp-write-past-throws";
let ended = false;
let tcp: TCP | undefined;
const watchdog = Timer.set(() => end("timeout"), 5000);
function check(name: string, ok: boolean, why: string) {
  trace(ok ? `ok ${CASE}/${name}\n` : `not ok ${CASE}/${name} ${why}\n`);
}
function end(failure?: string) {
  if (ended) return;
  ended = true;
  Timer.clear(watchdog);
  tcp?.close();
  if (failure) trace(`not ok ${CASE} ${failure}\n`);
  trace("done\n");
}
function thrown(f: () => unknown): string {
  try {
    f();
    return "no throw";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

let probed = false;
tcp = new TCP({
  address: "127.0.0.1",
  port: Number(config.port),
  onWritable(count: number) {
    if (probed) return;
    probed = true;
    const message = thrown(() => this.write(new ArrayBuffer(count + 1)));
    check("larger-than-writable", message === "would block", `write(${count + 1}) after onWritable(${count}): "${message}"`);
    const fits = thrown(() => this.write(new ArrayBuffer(count)));
    check("exactly-writable", fits === "no throw", `write(${count}) after onWritable(${count}): "${fits}"`);
    end();
  },
  onError() { end("onError"); },
});
const early = thrown(() => tcp?.write(new ArrayBuffer(1)));
check("before-connected", early === "would block" || early === "not ready", `write before the connection is up: "${early}"`);
