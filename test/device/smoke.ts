import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";

let ticks = 0;
Timer.repeat((id) => {
  if (++ticks === 3) {
    Timer.clear(id);
    trace("ok timer-repeat\n");
  }
}, 10);
const port = config.echoPort as number;
const sent = ArrayBuffer.fromString("hello xs");
const got = new Uint8Array(64);
let have = 0;
const tcp = new TCP({
  address: "127.0.0.1",
  port,
  onWritable(count) {
    if (have === 0 && count >= sent.byteLength) { this.write(sent); }
  },
  onReadable(count) {
    have += this.read(got.subarray(have, have + count)) as number;
    if (have === sent.byteLength) {
      trace(`ok tcp-echo ${String.fromArrayBuffer(got.slice(0, have).buffer)}\n`);
      tcp.close();
    }
  },
  onError() { trace("not ok tcp-echo error\n"); },
});
