// What the benchmarks that drive a device app share: XS compute summed over every crank (events and calls alike)
// while counting, and waiting for a line the device traces.
import { XsWorker } from "../sim/xsnap.js";

/** Counts the XS compute of every crank between start() and stop(); restore() puts XsWorker back as it was. */
export function crankMeter() {
  const command = XsWorker.prototype.command;
  let compute = 0, counting = false;
  XsWorker.prototype.command = async function (bytes) {
    const answer = await command.call(this, bytes);
    if (counting) compute += answer.meter.compute;
    return answer;
  };
  return {
    start() { compute = 0; counting = true; },
    /** The compute counted since start(). */
    stop() { counting = false; return compute; },
    restore() { XsWorker.prototype.command = command; },
  };
}

/**
 * Device log lines for Simulator.start({ onTrace }), and traced(match, ms): resolves with the first line from now
 * on for which match(line) holds (a string: that exact line), or rejects after ms.
 */
export function traceWatch() {
  const waiters = [];
  const onTrace = (line) => { for (const w of waiters.splice(0)) w(line); };
  const traced = (match, ms = 60000) => new Promise((resolve, reject) => {
    const test = typeof match === "string" ? (line) => line === match : match;
    const t = setTimeout(() => reject(new Error(`bench: no "${match}" within ${ms} ms`)), ms);
    const watch = (line) => (test(line) ? (clearTimeout(t), resolve(line)) : waiters.push(watch));
    waiters.push(watch);
  });
  return { onTrace, traced };
}
