// Device side of test/ss-mqtt-malformed.test.js: one mqtt Secure Stream (type "mq" of the policy in mc/config) to a
// fake TLS broker that answers CONNECT with garbage. The stream must fail cleanly: no exception out of a callback,
// the states lws would give (retries, then ALL_RETRIES_FAILED; or, when a good CONNACK came before the garbage,
// CONNECTED and DISCONNECTED each time, and retries without end, since lws resets the retry count at a CONNACK),
// a reason in the log, and destroy() leaving nothing: the test ends after ALL_RETRIES_FAILED or 3 DISCONNECTEDs.
import { createContext, stateName, LWSSSSRET_OK, LWSSSCS_ALL_RETRIES_FAILED, LWSSSCS_CONNECTED } from "ss";
import { testPolicy, sleep } from "./support";

const context = createContext({ policy: testPolicy(), log: (line) => trace(`${line}\n`) });
const states: string[] = [];
const h = context.create<null>({
  streamtype: "mq",
  state(_h, _src, state) {
    states.push(stateName(state).replace("LWSSSCS_", ""));
    return LWSSSSRET_OK;
  },
}, null);

async function main(): Promise<void> {
  const lost = () => states.filter((s) => s === "DISCONNECTED").length;
  for (let waited = 0; states.indexOf("ALL_RETRIES_FAILED") < 0 && lost() < 3 && waited < 8000; waited += 20) await sleep(20);
  trace(`connected ${states.indexOf("CONNECTED") >= 0 ? "yes" : "no"} ${LWSSSCS_CONNECTED} ${LWSSSCS_ALL_RETRIES_FAILED}\n`);
  h.destroy();
  trace(`states ${states.join(" ")}\n`);
  trace(`streams left ${context.streams}\n`);
  trace("done\n");
}

main().catch((e: unknown) => trace(`not ok main ${String(e)}\ndone\n`));
