// Rule (README, "What the simulator reproduces"): an exception that escapes any callback ends the VM
// with "XS abort: unhandled exception" (on a board: a reboot). Here it escapes a timer callback.
// The device cannot report after an abort: it traces `expect-abort`, and the runner checks how the run ended.
import Timer from "timer";
import { showAborts } from "conformance/report";

const CASE = "callback-throw-aborts";
Timer.set(() => {
  trace(`not ok ${CASE} still running after the throw\n`);
  trace("done\n");
}, 2000);
showAborts();
trace("expect-abort callback-throw-aborts: thrown from a timer callback\n");
Timer.set(() => {
  throw new Error("callback-throw-aborts: thrown from a timer callback");
}, 10);
