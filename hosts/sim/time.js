// `time` for the simulator: the SDK's clock module as it is on esp32. `Time.set(seconds)` sets the device clock
// that `Date` reads in device code and that the simulated board's certificate verifier checks dates against
// (sim/host-device.js keeps it). The simulator may start that clock near 1970, as a board's starts until SNTP sets
// it (Simulator option `device: { clock: "unset" }`); by default it reads the host's time.
import { call, setClockOffset, hostNow } from "sim:bridge";

const BOOT = hostNow();

const Time = {
  set(seconds) {
    if (typeof seconds !== "number" || !Number.isFinite(seconds)) throw new TypeError("time: seconds required");
    setClockOffset(call("clock.set", { ms: Math.trunc(seconds) * 1000 }).header.offset);
  },
  get timezone() { return 0; },
  set timezone(_value) {},
  get dst() { return 0; },
  set dst(_value) {},
  /** Milliseconds since the device started, on a counter that setting the clock does not move (as a board's). */
  get ticks() { return hostNow() - BOOT; },
  delta(start, end) { return (end === undefined ? this.ticks : end) - start; },
};
Object.freeze(Time);
export default Time;
