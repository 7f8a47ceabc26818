// The simulator's embedded relay (Simulator.start({ relay }) / sim/main.js --relay PORT), as a device sees it:
// mc/config relay { host, port, key }. Connects a relay client to it, checks that routing to its own key is refused
// (the relay answered), closes. Reports "ok embedded-relay-open", "ok embedded-relay-answers", "done".
import config from "mc/config";
import { connect } from "relay/client";
import { check, reportAsync } from "../ministream/check";

const where = config.relay as { host: string; port: number; key: string };
let state = 0x2545f491;
const random = (into: Uint8Array) => {
  for (let i = 0; i < into.length; i++) {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    into[i] = state & 0xff;
  }
};

async function main(): Promise<void> {
  const secretKey = new Uint8Array(32);
  random(secretKey);
  const c = connect(where.host, where.port, { relayKey: where.key, secretKey, random, connectTimeout: 10000, tag: "relay-check" });
  try {
    await reportAsync("embedded-relay-open", async () => {
      while (c.state !== "open") {
        if (c.error) throw c.error;
        check((await c.wait(10000)) !== "timeout", `not open (state ${c.state})`);
      }
    });
    await reportAsync("embedded-relay-answers", async () => {
      const self = c.link(c.publicKey);
      while (self.state !== "closed") check((await self.wait(10000)) !== "timeout", "no routing response");
      check(self.error?.code === "RELAY_REFUSED", `closed with ${String(self.error)}`);
    });
  } finally {
    c.close();
  }
}

main().then(() => trace("done\n"), (e) => trace(`not ok relay-check-script ${String(e)}\n`));
