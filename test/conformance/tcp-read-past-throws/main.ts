// Rule (README, "What the simulator reproduces", TCP): read(n) and read(view) throw "invalid" when asked for more than is readable
// (read(n) also for n <= 0) and take nothing; read() with nothing buffered returns undefined.
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";
import report, { thrown } from "conformance/report";

let tcp: TCP | undefined;
const { check, done } = report("tcp-read-past-throws", { watchdog: 5000, close: () => tcp?.close() });

const sent = "0123456789";
let received = "";
let wrote = false;
let probed = false;
tcp = new TCP({
  address: "127.0.0.1",
  port: Number(config.port),
  onWritable() {
    if (wrote) return;
    wrote = true;
    const empty: unknown = this.read();
    check("read-empty-undefined", empty === undefined, `read() with nothing buffered gave ${String(empty)}`);
    this.write(ArrayBuffer.fromString(sent));
  },
  onReadable(count: number) {
    if (!probed) {
      probed = true;
      let message = thrown(() => this.read(count + 1));
      check("read-n-past", message === "invalid", `read(${count + 1}) with ${count} readable: "${message}"`);
      message = thrown(() => this.read(0));
      check("read-zero", message === "invalid", `read(0): "${message}"`);
      message = thrown(() => this.read(new Uint8Array(count + 1)));
      check("read-view-past", message === "invalid", `read(view of ${count + 1}) with ${count} readable: "${message}"`);
    }
    const view = new Uint8Array(count);
    const n: unknown = this.read(view);
    received += String.fromArrayBuffer(view.buffer);
    if (n !== count) return done(`read(view of ${count}) returned ${String(n)}`);
    if (received.length < sent.length) return;
    check("nothing-taken", received === sent, `after the throws the bytes were "${received}"`);
    const after: unknown = this.read();
    check("read-drained-undefined", after === undefined, `read() after draining gave ${String(after)}`);
    done();
  },
  onError() { done("onError"); },
});
