// The MQTT client (modules/mqtt/client) across a broker restart, in XS over the TLS client against aedes over TLS:
// QoS 1 messages in flight when the broker goes away are sent again with DUP after the reconnect, messages published
// while it is away wait in the outbox, everything kept arrives once and in order, and when the outbox overflows the
// oldest are dropped and the `dropped` count is exact.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startBroker, startMonitor, runClient, transitions } from "./device/mqtt/support.js";

const CASES = [
  "restart-subscribed", "restart-first-messages-acknowledged", "restart-connection-lost-is-coded",
  "restart-kept-messages-delivered", "restart-subscription-renewed", "restart-dropped-exact", "restart-resent-with-dup",
];

// Every message is a PUBLISH of "r-NNN" to "dev/r" at QoS 1: 16 bytes, 22 with its outbox record header.
const RECORD = 22;
const pad = (n) => String(n).padStart(3, "0");
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => `r-${pad(from + i)}`);

/**
 * `before` messages acknowledged, `held` sent and left unacknowledged by the broker, the broker closed, `offline`
 * published while it is away into an outbox of `records` records, the broker restarted on the same port.
 */
async function restart({ before, held, offline, records }) {
  const kept = Math.min(records, held + offline);
  const dropped = held + offline - kept;
  const resent = Math.max(0, held - dropped);
  const last = before + held + offline;
  let heldSeen;
  const heldArrived = new Promise((r) => (heldSeen = r));
  const first = await startBroker({
    authorizePublish: (client, packet, done) => {
      if (Number(String(packet.payload).slice(2)) <= before) return done(null);
      heldSeen(); // never answered: no PUBACK, the device keeps it in flight
    },
  });
  const port = first.port;
  const monitor1 = await startMonitor(port, ["dev/r"]);
  let second, monitor2, offlineDone;
  const offlineSeen = new Promise((r) => (offlineDone = r));
  try {
    const run = runClient(
      { scenario: "restart", port, before, held, offline, outboxSize: records * RECORD, expectDropped: dropped, expectResent: resent },
      { cases: CASES, onTrace: (line) => line.startsWith("phase offline") && offlineDone(line) },
    );
    // The first `before` are acknowledged; the broker holds the rest (no PUBACK) until it is closed.
    await monitor1.waitFor(before);
    if (held > 0) await Promise.race([heldArrived, run]);
    await monitor1.close();
    await first.close();
    const line = await Promise.race([offlineSeen, run.then(() => "device ended")]);
    assert.is(line, `phase offline ${last} dropped ${dropped}`);
    // Back on the same port; the device's CONNECT waits until the monitor has subscribed again.
    let release;
    const monitorReady = new Promise((r) => (release = r));
    second = await startBroker({
      port,
      authenticate: (client, user, password, done) => {
        if (client.id === "device-1") monitorReady.then(() => done(null, true));
        else done(null, true);
      },
    });
    second.aedes.on("subscribe", (subscriptions, client) => {
      if (client?.id === "device-1" && subscriptions.some((s) => s.topic === "dev/cmd")) monitor2.publish("dev/cmd", "after-restart", 1);
    });
    monitor2 = await startMonitor(port, ["dev/r"]);
    release();
    const { traces } = await run;
    // The state log, as the table allows it: lost, refused while the broker is down (any number of tries), back.
    assert.match(transitions(traces),
      /^idle>opening opening>connecting connecting>connected connected>backoff (backoff>opening opening>backoff )*backoff>opening opening>connecting connecting>connected connected>closed$/);
    assert.ok(traces.includes("mqtt: renewing 1 subscriptions (the session was not kept)"), "the renewal is logged");
    assert.equal(monitor1.messages.map((m) => m.payload), range(1, before), "before the restart");
    const after = await monitor2.waitFor(kept);
    assert.equal(after.map((m) => m.payload), range(last - kept + 1, last), "after the restart: the newest kept, in order, once");
    const wire = second.log.publishes.filter((p) => p.client === "device-1");
    assert.equal(wire.map((p) => p.dup), [...Array(resent).fill(true), ...Array(kept - resent).fill(false)], "DUP on the retransmissions only");
  } finally {
    await monitor2?.close();
    await second?.close();
    await first.close();
  }
}

test("mqtt: broker restart with 3 QoS 1 messages in flight and 4 published while away: all 7 arrive once, in order, the 3 with DUP", async () => {
  await restart({ before: 5, held: 3, offline: 4, records: 8 });
});

test("mqtt: broker restart with 14 messages for an 8-record outbox: the 6 oldest dropped (dropped = 6), the newest 8 arrive in order", async () => {
  await restart({ before: 3, held: 2, offline: 12, records: 8 });
});

test("mqtt: broker restart, nothing held, 20 published while away into 8 records: dropped = 12", async () => {
  await restart({ before: 2, held: 0, offline: 20, records: 8 });
});

test.run();
