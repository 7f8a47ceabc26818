// Rule (README, "What the simulator reproduces", TCP): write() throws "would block" when the buffer is larger than the space onWritable
// last reported, and throws before the connection is up ("would block" on lin, "not ready" on esp32).
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";
import report, { thrown } from "conformance/report";

let tcp: TCP | undefined;
const { check, done } = report("tcp-write-past-throws", { watchdog: 5000, close: () => tcp?.close() });

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
    done();
  },
  onError() { done("onError"); },
});
const early = thrown(() => tcp?.write(new ArrayBuffer(1)));
check("before-connected", early === "would block" || early === "not ready", `write before the connection is up: "${early}"`);
