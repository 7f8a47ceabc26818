// `debug` for the simulator: Moddable's Debug.gc(), on XS's own collector.
import { gc } from "sim:bridge";

const Debug = Object.freeze({
  gc() { gc(); },
});
export default Debug;
