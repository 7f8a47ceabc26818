// test/memory-budget.test.js: an app that keeps allocating objects (slots) past the heap the manifest's `creation`
// gives: config.memory.arrays arrays of config.memory.items objects, one array per timer tick, all kept.
// Traces `memory: arrays N` after each; `memory: done` if all fit.
import config from "mc/config";
import Timer from "timer";

type Options = { arrays: number; items: number };
const options = config.memory as Options;
const kept: object[][] = [];

let n = 0;
const timer = Timer.repeat(() => {
  const array: object[] = [];
  for (let i = 0; i < options.items; i++) array.push({ i });
  kept.push(array);
  trace(`memory: arrays ${++n}\n`);
  if (n >= options.arrays) {
    Timer.clear(timer);
    trace("memory: done\n");
  }
}, 1);
