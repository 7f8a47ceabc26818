// Opening a serial port (a UART adapter's /dev/ttyUSB0, or a pty) from Node, in one place: the simulator's
// `embedded:io/serial` (sim/host-net.js, a board's UART played by a pty) and the host's `tipi --link PATH`
// (client/tipi-client.js) both use it. The port is opened twice (reads through libuv's tty stream, which can be
// closed; writes through a tty write stream), put in raw mode (`stty raw -echo` when stty is there, then libuv's raw
// mode), and given the parts of a net.Socket's interface the callers use: "data", "end", "error" and "close"
// events, write(bytes, callback), pause/resume/isPaused, setNoDelay, end/destroy and `destroyed`.
// A path that is not a terminal is refused unless `allowFile` (a plain file or fifo then, read and written as is).

import fs from "node:fs";
import tty from "node:tty";
import { EventEmitter } from "node:events";
import { execFileSync } from "node:child_process";

export function openSerialPort(path, { allowFile = false } = {}) {
  let readFd;
  let writeFd;
  try {
    readFd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
    writeFd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_NOCTTY);
  } catch (error) {
    if (readFd !== undefined) fs.closeSync(readFd);
    throw new Error(`serial: cannot open ${path}: ${error.message}`);
  }
  const terminal = tty.isatty(readFd);
  if (!terminal && !allowFile) {
    fs.closeSync(readFd);
    fs.closeSync(writeFd);
    throw new Error(`serial: ${path} is not a terminal device`);
  }
  let input;
  let output;
  if (terminal) {
    try {
      execFileSync("stty", ["-F", path, "raw", "-echo"], { stdio: "ignore" });
    } catch {
      // no stty: libuv's raw mode below does the same for what matters here
    }
    input = new tty.ReadStream(readFd);
    input.setRawMode(true);
    output = new tty.WriteStream(writeFd);
  } else {
    input = fs.createReadStream(null, { fd: readFd, autoClose: true });
    output = fs.createWriteStream(null, { fd: writeFd, autoClose: true });
  }
  const port = new EventEmitter();
  let destroyed = false;
  input.on("data", (chunk) => port.emit("data", chunk));
  input.on("end", () => port.emit("end"));
  input.on("error", (error) => port.emit("error", error));
  output.on("error", (error) => port.emit("error", error));
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    input.destroy();
    output.destroy();
    port.emit("close");
  };
  return Object.assign(port, {
    get destroyed() { return destroyed; },
    write: (bytes, callback) => output.write(bytes, callback),
    pause: () => input.pause(),
    resume: () => input.resume(),
    isPaused: () => input.isPaused(),
    setNoDelay: () => {},
    end: destroy,
    destroy,
    describe: `serial ${path}`,
  });
}
