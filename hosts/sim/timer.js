// `timer` for the simulator: Moddable's Timer (set, repeat, schedule, clear, delay) on the parent's clock.
// The callback gets its timer id, as on a board. A timer keeps the simulator alive until it is cleared or spent.
import { call, listen, unlisten } from "sim:bridge";

let nextId = 1;

class TimerId {
  constructor(id, callback) { this.id = id; this.callback = callback; this.repeat = 0; }
}

function arm(timer, interval, repeat) {
  timer.repeat = repeat > 0 ? repeat : 0;
  call("timer.set", { id: timer.id, ms: interval > 0 ? interval : 0, repeat: timer.repeat });
}

function create(callback, interval, repeat) {
  if (typeof callback !== "function") throw new TypeError("timer: callback must be a function");
  const timer = new TimerId(nextId++, callback);
  listen("timer", timer.id, () => {
    if (!timer.repeat) unlisten("timer", timer.id);
    timer.callback(timer);
  });
  arm(timer, interval, repeat);
  return timer;
}

const Timer = {
  set(callback, interval = 0, repeat = 0) { return create(callback, interval, repeat); },
  repeat(callback, interval) { return create(callback, interval, interval); },
  schedule(timer, interval, repeat = 0) {
    if (!(timer instanceof TimerId)) throw new TypeError("timer: not a timer");
    listen("timer", timer.id, () => {
      if (!timer.repeat) unlisten("timer", timer.id);
      timer.callback(timer);
    });
    arm(timer, interval, repeat);
  },
  clear(timer) {
    if (timer === undefined || timer === null) return;
    if (!(timer instanceof TimerId)) throw new TypeError("timer: not a timer");
    unlisten("timer", timer.id);
    call("timer.clear", { id: timer.id });
  },
  delay(ms) { call("timer.delay", { ms: ms > 0 ? ms : 0 }); },
};
Object.freeze(Timer);
export default Timer;
