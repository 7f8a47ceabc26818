// Throws from a timer callback: the simulator must end with an XS abort, as the SDK's simulator does.
import Timer from "timer";

Timer.set(() => {
  throw new Error("thrown from a timer callback");
}, 10);
