// Node side of `timer`: a Node timeout per device timer; firing posts a `timer` event. Timer.delay blocks the
// worker (it waits in the call) for the time asked, as it blocks a board.
// A one-shot timer that has fired stays known until its event is delivered (the worker may be busy when it
// fires); clearing it before then cancels the delivery.

export function installTimers(sim) {
  const timers = new Map(); // id -> { handle, repeat, fired }

  function fire(id) {
    const t = timers.get(id);
    if (!t) return;
    if (t.repeat) t.handle = setTimeout(() => fire(id), t.repeat);
    else t.fired = true;
    sim.post(`timer:${id}`, () => {
      const now = timers.get(id);
      if (now !== t) return null; // cleared or re-armed since
      if (t.fired) {
        timers.delete(id);
        sim.release(t); // the queue holds the simulator busy until this event is sent
      }
      return { k: "timer", id };
    });
  }

  function clear(id) {
    const t = timers.get(id);
    if (!t) return;
    clearTimeout(t.handle);
    timers.delete(id);
    sim.release(t);
  }

  sim.op("timer.set", ({ id, ms, repeat }) => {
    clear(id);
    const t = { handle: null, repeat, fired: false, dispose: () => clearTimeout(t.handle) };
    t.handle = setTimeout(() => fire(id), ms);
    timers.set(id, t);
    sim.hold(t);
  });
  sim.op("timer.clear", ({ id }) => { clear(id); });
  sim.op("timer.delay", ({ ms }) => new Promise((resolve) => setTimeout(() => resolve(undefined), ms)));
}
