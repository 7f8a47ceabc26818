// Node side of `timer`: a Node timeout per device timer; firing posts a `timer` event. Timer.delay blocks the
// worker (it waits in the call) for the time asked, as it blocks a board.

export function installTimers(sim) {
  const timers = new Map(); // id -> { handle, ms, repeat }

  function fire(id) {
    const t = timers.get(id);
    if (!t) return;
    sim.post(`timer:${id}`, () => (timers.has(id) ? { k: "timer", id } : null));
    if (t.repeat) t.handle = setTimeout(() => fire(id), t.repeat);
    else {
      timers.delete(id);
      // Stays live until the event is delivered: the queue keeps the simulator busy until then.
      sim.release(t);
    }
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
    const t = { handle: null, repeat, dispose: () => clearTimeout(t.handle) };
    t.handle = setTimeout(() => fire(id), ms);
    timers.set(id, t);
    sim.hold(t);
  });
  sim.op("timer.clear", ({ id }) => { clear(id); });
  sim.op("timer.delay", ({ ms }) => new Promise((resolve) => setTimeout(() => resolve(undefined), ms)));
}
