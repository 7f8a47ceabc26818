// Device-side cases for the mqtt Secure Streams protocol (ss/mqtt over modules/mqtt's client) against aedes over
// TLS (test/ss-mqtt.test.js starts it, with an mqtt.js monitor, and gives the policy in mc/config). The monitor
// left a retained message on ss/7/down before this runs. Reports "ok <name>" / "not ok <name> <why>", then "done".
import {
  createContext, stateName, LWSSSSRET_OK, LWSSSCS_CREATING, LWSSSCS_QOS_ACK_REMOTE, LWSSSCS_CONNECTED,
  LWSSS_FLAG_SOM, LWSSS_FLAG_EOM,
} from "ss";
import { runAsync, check, equal, sleep, testPolicy } from "./support";

const context = createContext({ policy: testPolicy(), log: (line) => trace(`${line}\n`) });

type Seen = { states: string[]; acks: number; rx: string[]; topics: string[]; flags: number[]; next: number };

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  for (let waited = 0; !cond(); waited += 20) {
    if (waited >= ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

const seen: Seen = { states: [], acks: 0, rx: [], topics: [], flags: [], next: 0 };
const payloads = ["m0", "m1", "m2"];
const h = context.create<Seen>({
  streamtype: "mq",
  state(h, _src, state) {
    h.opaque.states.push(stateName(state).replace("LWSSSCS_", ""));
    if (state === LWSSSCS_CREATING) h.setMetadata("unit", "7");
    if (state === LWSSSCS_QOS_ACK_REMOTE) h.opaque.acks++;
    return LWSSSSRET_OK;
  },
  tx(h, _ord, buf, out) {
    const text = payloads[h.opaque.next++]!;
    for (let i = 0; i < text.length; i++) buf[i] = text.charCodeAt(i);
    out.len = text.length;
    out.flags = LWSSS_FLAG_SOM | LWSSS_FLAG_EOM;
    return LWSSSSRET_OK;
  },
  rx(h, buf, len, flags) {
    let text = "";
    for (let i = 0; i < len; i++) text += String.fromCharCode(buf[i]!);
    h.opaque.rx.push(text);
    h.opaque.flags.push(flags);
    h.opaque.topics.push(h.getMetadata("topic") ?? "?");
    return LWSSSSRET_OK;
  },
}, seen);

async function main(): Promise<void> {
  await runAsync("mqtt-connects-after-connack", async () => {
    await until("CONNECTED", () => seen.states.indexOf("CONNECTED") >= 0, 10000);
    equal(seen.states.slice(0, 3).join(" "), "CREATING CONNECTING CONNECTED", "states");
  });

  await runAsync("mqtt-tx-published-at-qos1-with-puback-as-qos-ack-remote", async () => {
    for (let i = 0; i < payloads.length; i++) h.requestTx();
    await until("3 QOS_ACK_REMOTE", () => seen.acks >= 3, 10000);
    equal(seen.acks, 3, "acks");
  });

  await runAsync("mqtt-subscribe-delivers-rx-with-som-eom-and-topic-metadata", async () => {
    await until("rx", () => seen.rx.length >= 1, 10000);
    equal(seen.rx[0], "hello", "payload");
    equal(seen.flags[0], LWSSS_FLAG_SOM | LWSSS_FLAG_EOM, "flags");
    equal(seen.topics[0], "ss/7/down", "topic metadata");
  });

  await runAsync("mqtt-state-sequence", async () => {
    h.destroy();
    trace(`states ${seen.states.join(" ")}\n`);
    equal(seen.states.join(" "), "CREATING CONNECTING CONNECTED QOS_ACK_REMOTE QOS_ACK_REMOTE QOS_ACK_REMOTE DISCONNECTED DESTROYING", "sequence");
    check(LWSSSCS_CONNECTED === 5, "numbers");
  });

  trace(`streams left ${context.streams}\n`);
  trace("done\n");
}

main().catch((e: unknown) => trace(`not ok main ${String(e)}\ndone\n`));
