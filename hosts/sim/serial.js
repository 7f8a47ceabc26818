// `embedded:io/serial` for the simulator, as the SDK's Linux build has it: the port is the path in option `device`
// (a pty stands in for a UART). Its bytes follow the same rules as the simulated TCP (read and write never past
// the reported counts, onError() with no argument), so it is built on that class.
import TCP from "embedded:io/socket/tcp";
import { call } from "sim:bridge";

export default class Serial {
  #stream;

  constructor(options) {
    if (!options || typeof options !== "object") throw new TypeError("invalid options");
    if (typeof options.device !== "string") throw new Error("serial: option device (a path) required in the simulator");
    if (!Number.isInteger(options.baud) || options.baud <= 0) throw new RangeError("invalid baud");
    const { id } = call("serial.open", { device: options.device, baud: options.baud }).header;
    const self = this;
    this.#stream = new TCP({
      from: { id, taken: false },
      format: options.format,
      onReadable: options.onReadable && function (count) { options.onReadable.call(self, count); },
      onWritable: options.onWritable && function (count) { options.onWritable.call(self, count); },
      onError: options.onError && function () { options.onError.call(self); },
    });
  }

  read(what) { return this.#stream.read(what); }
  write(what) { return this.#stream.write(what); }
  close() { this.#stream.close(); }
  get format() { return this.#stream.format; }
  set format(value) { this.#stream.format = value; }
}
