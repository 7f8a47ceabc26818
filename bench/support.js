// What the benchmarks that drive a device app share: XS compute summed over every crank (events and calls alike)
// while counting, and waiting for a line the device traces.
import { readFileSync } from "node:fs";
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

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux; null elsewhere). */
export function processCpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = 100; // USER_HZ: what /proc counts utime and stime in on Linux

/** The median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
