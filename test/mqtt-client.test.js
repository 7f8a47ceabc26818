// The MQTT client (modules/mqtt/client) in XS over the TLS client, against a real broker: aedes listening with TLS on
// 127.0.0.1 (fixture certificates), an mqtt.js monitor on the Node side. Publish at QoS 0 and 1 in order, subscribe
// and receive, keep-alive pings, the will, credentials, and a broker that is not there.
import { test } from "uvu";
import * as assert from "uvu/assert";
import net from "node:net";
import { startBroker, startMonitor, fakeBroker, runClient } from "./device/mqtt/support.js";

// The cases each scenario of test/device/mqtt-client.ts reports, in order.
const CASES = {
  publish: ["connect-ready", "publish-qos0-and-qos1-in-order", "disconnect-clean"],
  subscribe: ["subscribe-granted", "subscribe-refused-is-coded", "receive-in-order", "unsubscribe"],
  keepalive: ["keepalive-pings-while-idle"],
  "ping-timeout": ["ping-timeout-is-coded"],
  will: ["will-connected"],
  credentials: ["credentials-accepted", "credentials-refused-is-coded"],
  session: ["session-first-connection-is-new", "session-present-on-return", "session-message-sent-while-away-delivered"],
  "no-broker": ["no-broker-ready-times-out-with-the-cause", "no-broker-closed"],
  arguments: [
    "no-transport", "outbox-smaller-than-a-packet", "connect-over-max-packet-size", "password-without-user-name",
    "publish-qos-2", "publish-wildcard-topic", "publish-over-max-packet-size", "subscribe-bad-filter",
    "subscribe-without-timeout", "fifth-request-busy", "close-rejects-pending-requests", "publish-after-close",
    "connect-after-close", "throwing-transport-closes",
  ].map((name) => `argument-${name}`),
};

const device = (config, options = {}) => runClient(config, { cases: CASES[config.scenario], ...options });

const pad = (n) => String(n).padStart(3, "0");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test("mqtt: QoS 0 and QoS 1 reach the subscriber, each in order, then a clean DISCONNECT (no will)", async () => {
  const broker = await startBroker();
  const monitor = await startMonitor(broker.port, ["dev/#"]);
  try {
    const count = 5;
    await device({ scenario: "publish", port: broker.port, count });
    const messages = await monitor.waitFor(2 * count);
    const q0 = messages.filter((m) => m.topic === "dev/q0");
    const q1 = messages.filter((m) => m.topic === "dev/q1");
    assert.equal(q0.map((m) => m.payload), [1, 2, 3, 4, 5].map((i) => `q0-${pad(i)}`));
    assert.equal(q1.map((m) => m.payload), [1, 2, 3, 4, 5].map((i) => `q1-${pad(i)}`));
    assert.equal(q1.map((m) => m.qos), [1, 1, 1, 1, 1]);
    // The broker saw them in the order published: q0-001, q1-001, q0-002, ...
    const seen = broker.log.publishes.filter((p) => p.client === "device-1").map((p) => p.payload);
    assert.equal(seen, [1, 2, 3, 4, 5].flatMap((i) => [`q0-${pad(i)}`, `q1-${pad(i)}`]));
    await sleep(200);
    assert.not.ok(monitor.messages.some((m) => m.topic === "dev/will"), "the will was published after a DISCONNECT");
  } finally {
    await monitor.close();
    await broker.close();
  }
});

test("mqtt: subscribe (granted QoS 1, a refusal is MQTT_SUBSCRIBE_REFUSED), receive QoS 0 and 1 in order (a maxPacketSize packet, a burst of 40), unsubscribe", async () => {
  const broker = await startBroker({
    authorizeSubscribe: (client, sub, done) => done(null, sub.topic.startsWith("dev/deny") ? null : sub),
  });
  const monitor = await startMonitor(broker.port, []);
  // A packet of exactly maxPacketSize (1024: 1 + 2 + 2 + 8 + 1011), and a burst of 40 QoS 1 messages published
  // without waiting (more than the 16 PUBACKs the device holds: it stops reading until it has written them).
  const largest = "x".repeat(1011);
  const burst = Array.from({ length: 40 }, (_, i) => ["dev/in/b", `burst-${i}`, 1]);
  const sent = [["dev/in/a", "one", 0], ["dev/in/b", "two", 1], ["dev/in/a/deep", "three", 1], ["dev/in/c", "four", 0], ["dev/in/a", "five", 1], ["dev/in/a", largest, 0], ...burst];
  try {
    let subscribed;
    const ready = new Promise((r) => (subscribed = r));
    const run = device(
      { scenario: "subscribe", port: broker.port, expect: sent.map(([t, p, q]) => `${t} ${p} ${q}`) },
      { onTrace: (line) => line === "phase subscribed" && subscribed() },
    );
    await Promise.race([ready, run]);
    for (const [topic, payload, qos] of sent.slice(0, -burst.length)) await monitor.publish(topic, payload, qos);
    await Promise.all(burst.map(([topic, payload, qos]) => monitor.publish(topic, payload, qos)));
    await run;
  } finally {
    await monitor.close();
    await broker.close();
  }
});

test("mqtt: keep-alive 1 s: PINGREQs while idle, answered, the connection stays up", async () => {
  const broker = await startBroker();
  try {
    await device({ scenario: "keepalive", port: broker.port });
    assert.ok((broker.log.pings.get("device-1") ?? 0) >= 2, `the broker saw ${broker.log.pings.get("device-1")} PINGREQs`);
  } finally {
    await broker.close();
  }
});

test("mqtt: no PINGRESP within the keep-alive -> MQTT_PING_TIMEOUT, logged", async () => {
  const fake = await fakeBroker(Buffer.from([0x20, 0x02, 0x00, 0x00]));
  try {
    const run = await device({ scenario: "ping-timeout", port: fake.port });
    const bytes = Buffer.from(fake.received[0]);
    assert.ok(bytes.includes(Buffer.from([0xc0, 0x00])), `no PINGREQ among ${bytes.toString("hex")}`);
    assert.ok(run.traces.some((l) => l.includes("MQTT_PING_TIMEOUT no PINGRESP within the keep-alive of 1 s")), "logged");
  } finally {
    await fake.close();
  }
});

test("mqtt: leaving without DISCONNECT: the broker publishes the will", async () => {
  const broker = await startBroker();
  const monitor = await startMonitor(broker.port, ["dev/will"]);
  try {
    await device({ scenario: "will", port: broker.port });
    const [will] = await monitor.waitFor(1, 5000);
    assert.equal({ topic: will.topic, payload: will.payload, qos: will.qos }, { topic: "dev/will", payload: "gone", qos: 1 });
  } finally {
    await monitor.close();
    await broker.close();
  }
});

test("mqtt: user name and password; a bad password is CONNACK 4 -> MQTT_CONNECT_REFUSED, no retry", async () => {
  let attempts = 0;
  const broker = await startBroker({
    authenticate: (client, user, password, done) => {
      attempts++;
      const ok = user === "device" && String(password) === "s3cret";
      if (ok) return done(null, true);
      const error = new Error("bad user name or password");
      error.returnCode = 4;
      done(error, false);
    },
  });
  try {
    await device({ scenario: "credentials", port: broker.port, password: "s3cret" });
    assert.is(attempts, 2, "one good and one bad CONNECT, no retry of the refused one");
  } finally {
    await broker.close();
  }
});

test("mqtt: Clean Session 0: the session outlives a DISCONNECT; a QoS 1 message sent while away arrives on return", async () => {
  let release;
  const published = new Promise((r) => (release = r));
  let connects = 0;
  const broker = await startBroker({
    authenticate: (client, user, password, done) => {
      if (client.id === "device-s" && ++connects === 2) published.then(() => done(null, true));
      else done(null, true);
    },
  });
  const monitor = await startMonitor(broker.port, []);
  try {
    await device({ scenario: "session", port: broker.port }, {
      onTrace: (line) => line === "phase away" && monitor.publish("dev/s", "while-away", 1).then(release),
    });
    assert.is(connects, 2);
  } finally {
    await monitor.close();
    await broker.close();
  }
});

test("mqtt: nothing listening: ready() times out with MQTT_TIMEOUT naming MQTT_TRANSPORT / TLS_CONNECT_FAILED", async () => {
  const probe = net.createServer();
  await new Promise((r) => probe.listen(0, "127.0.0.1", r));
  const port = probe.address().port;
  await new Promise((r) => probe.close(r));
  await device({ scenario: "no-broker", port });
});

test("mqtt: what the application can get wrong is a coded error (MQTT_BAD_ARGUMENT, _PACKET_TOO_LARGE, _BUSY, _CLOSED, _TRANSPORT)", async () => {
  await device({ scenario: "arguments", port: 1 });
});

test.run();
