// Device-side scenarios for mqtt/client over tls/client, against a real broker (aedes over TLS, started by
// test/mqtt-client.test.js and test/mqtt-reconnect.test.js) or a fake one (test/mqtt-faults.test.js). `mc/config`
// names the scenario and the port. Reports "ok <name>" / "not ok <name> <why>" lines, "phase <name>" lines the Node
// side acts on (restart the broker, publish to the device), then "done".
import Resource from "Resource";
import config from "mc/config";
import Timer from "timer";
import { connect } from "tls/client";
import { MQTTClient, MQTTError } from "mqtt/client";
import type { ClientOptions } from "mqtt/client";
import { report, runAsync, check, equal } from "./mqtt/check";

const port = config.port as number;
const ca = new Resource("ca.der").slice(0);
const clientId = (config.clientId as string | undefined) ?? "device-1";

function client(options: Partial<ClientOptions> = {}): MQTTClient {
  return new MQTTClient({
    transport: () => connect("localhost", port, { ca, rxSize: 1024, txSize: 1024, tag: "tls" }),
    clientId,
    keepAlive: 30,
    connectTimeout: 5000,
    reconnectDelay: 0,
    ...options,
  });
}

function code(error: unknown): string {
  return error instanceof MQTTError ? `${error.code}: ${error.message}` : String(error);
}

/** Wait until `done()` holds, one client event at a time, for at most about `ms` (a timer, not the clock). */
async function until(c: MQTTClient, done: () => boolean, ms: number, what: string): Promise<void> {
  let expired = false;
  const timer = Timer.set(() => {
    expired = true;
  }, ms);
  try {
    while (!done()) {
      if (expired) throw new Error(`${what}: not within ${ms} ms (state ${c.state}, error ${c.error ? code(c.error) : "none"})`);
      if ((await c.wait(ms)) === "closed" && !done()) throw new Error(`${what}: the client closed (error ${c.error ? code(c.error) : "none"})`);
    }
  } finally {
    if (!expired) Timer.clear(timer);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => Timer.set(() => resolve(), ms));

const text = (n: number, prefix: string) => `${prefix}-${String(n).padStart(3, "0")}`;

const scenarios: Record<string, () => Promise<void>> = {
  /** QoS 0 and QoS 1 to the broker, in order, then a clean DISCONNECT (the will is not published). */
  async publish() {
    const count = config.count as number;
    const c = client({ will: { topic: "dev/will", message: "gone", qos: 1 } });
    c.connect();
    await runAsync("connect-ready", () => c.ready(5000));
    await runAsync("publish-qos0-and-qos1-in-order", async () => {
      for (let i = 1; i <= count; i++) {
        equal(c.publish("dev/q0", text(i, "q0"), 0), 0, "QoS 0 has no packet id");
        check(c.publish("dev/q1", text(i, "q1"), 1) > 0, "QoS 1 packet id");
      }
      await c.flushed(5000);
      equal(c.inflight, 0, "in flight");
      equal(c.dropped, 0, "dropped");
      equal(c.published, 2 * count, "PUBLISH packets written");
    });
    await runAsync("disconnect-clean", async () => {
      await c.disconnect(2000);
      equal(c.state, "closed", "state");
      let threw = "";
      try {
        c.publish("dev/q0", "late", 0);
      } catch (e) {
        threw = e instanceof MQTTError ? e.code : String(e);
      }
      equal(threw, "MQTT_CLOSED", "publish after close");
    });
  },

  /** Subscribe, receive QoS 0 and 1 from the Node side in order, a refused subscription, unsubscribe. */
  async subscribe() {
    const expected = config.expect as string[];
    const got: string[] = [];
    const c = client({
      onMessage: (topic, payload, qos) => got.push(`${topic} ${String.fromArrayBuffer(payload.slice().buffer)} ${qos}`),
    });
    c.connect();
    await runAsync("subscribe-granted", async () => {
      await c.ready(5000);
      equal(await c.subscribe("dev/in/#", 1, 5000), 1, "granted QoS");
    });
    await runAsync("subscribe-refused-is-coded", async () => {
      try {
        await c.subscribe("dev/deny/#", 0, 5000);
        throw new Error("granted");
      } catch (e) {
        equal(e instanceof MQTTError && e.code, "MQTT_SUBSCRIBE_REFUSED", code(e));
      }
    });
    trace("phase subscribed\n");
    await runAsync("receive-in-order", async () => {
      await until(c, () => got.length >= expected.length, 10000, `${got.length} of ${expected.length} messages`);
      equal(got.join("|"), expected.join("|"), "messages");
      equal(c.received, expected.length, "received");
    });
    await runAsync("unsubscribe", async () => {
      await c.unsubscribe("dev/in/#", 5000);
      equal(c.subscriptions.length, 0, "subscriptions kept");
    });
    await c.disconnect(2000);
  },

  /** Idle with a 1 s keep-alive: PINGREQs go out and PINGRESPs come back, the connection stays up. */
  async keepalive() {
    const c = client({ keepAlive: 1 });
    c.connect();
    await runAsync("keepalive-pings-while-idle", async () => {
      await c.ready(5000);
      await sleep(2600);
      check(c.pingsSent >= 2, `${c.pingsSent} PINGREQs in 2.6 s`);
      check(c.pingResponses >= 2, `${c.pingResponses} PINGRESPs`);
      check(c.isConnected(), `state ${c.state}`);
    });
    await c.disconnect(2000);
  },

  /** Connected, then no PINGRESP: MQTT_PING_TIMEOUT within the keep-alive after the PINGREQ. */
  async "ping-timeout"() {
    const c = client({ keepAlive: 1 });
    c.connect();
    await runAsync("ping-timeout-is-coded", async () => {
      await c.ready(5000);
      await until(c, () => c.state === "closed", 4000, "closed");
      equal(c.error?.code, "MQTT_PING_TIMEOUT", "error");
      equal(c.pingsSent, 1, "PINGREQs");
    });
    c.close();
  },

  /** Leave without DISCONNECT: the broker publishes the will. */
  async will() {
    const c = client({ will: { topic: "dev/will", message: "gone", qos: 1 } });
    c.connect();
    await runAsync("will-connected", () => c.ready(5000));
    c.close();
    trace("phase closed\n");
  },

  /** Credentials: the broker refuses a bad password with CONNACK 4, and the client stops (no retry). */
  async credentials() {
    const good = client({ userName: "device", password: config.password as string, reconnectDelay: 100 });
    good.connect();
    await runAsync("credentials-accepted", () => good.ready(5000));
    await good.disconnect(2000);
    const bad = client({ userName: "device", password: "wrong", reconnectDelay: 100 });
    bad.connect();
    await runAsync("credentials-refused-is-coded", async () => {
      try {
        await bad.ready(5000);
        throw new Error("accepted");
      } catch (e) {
        equal(e instanceof MQTTError && e.code, "MQTT_CONNECT_REFUSED", code(e));
        check((e as Error).message.indexOf("bad user name or password") >= 0, (e as Error).message);
        equal(bad.state, "closed", "no reconnect after a refusal that needs a change");
      }
    });
    bad.close();
  },

  /**
   * The broker goes away with QoS 1 messages in flight, more are published while it is away (more than the outbox
   * holds, when config.offline says so), it comes back: what the outbox kept arrives once, in order, the in-flight
   * ones with DUP, and `dropped` is exact.
   */
  async restart() {
    const before = config.before as number;
    const held = config.held as number;
    const offline = config.offline as number;
    const commands: string[] = [];
    const c = client({
      keepAlive: 5, reconnectDelay: 100, maxReconnectDelay: 400, connectTimeout: 3000,
      outboxSize: config.outboxSize as number, maxPacketSize: 64,
      onMessage: (topic, payload) => commands.push(`${topic} ${String.fromArrayBuffer(payload.slice().buffer)}`),
    });
    c.connect();
    let n = 0;
    await runAsync("restart-subscribed", async () => {
      await c.ready(5000);
      equal(await c.subscribe("dev/cmd", 1, 5000), 1, "granted QoS");
    });
    await runAsync("restart-first-messages-acknowledged", async () => {
      for (let i = 0; i < before; i++) c.publish("dev/r", text(++n, "r"), 1);
      await c.flushed(5000);
    });
    for (let i = 0; i < held; i++) c.publish("dev/r", text(++n, "r"), 1);
    trace(`phase held ${held}\n`);
    await runAsync("restart-connection-lost-is-coded", async () => {
      await until(c, () => !c.isConnected(), 10000, "the broker going away");
      equal(c.inflight + c.queued, held, "messages kept for the next connection");
      check(!!c.error && (c.error.code === "MQTT_CONNECTION_LOST" || c.error.code === "MQTT_TRANSPORT"), `error ${c.error ? code(c.error) : "none"}`);
    });
    for (let i = 0; i < offline; i++) c.publish("dev/r", text(++n, "r"), 1);
    trace(`phase offline ${n} dropped ${c.dropped}\n`);
    await runAsync("restart-kept-messages-delivered", async () => {
      await c.flushed(20000);
      equal(c.connections, 2, "connections");
    });
    await runAsync("restart-subscription-renewed", async () => {
      // The new broker has no session: the client renews the subscription, and the Node side publishes once it has.
      await until(c, () => commands.length > 0, 10000, "a message on the renewed subscription");
      equal(commands.join("|"), "dev/cmd after-restart", "messages");
    });
    report("restart-dropped-exact", c.dropped === config.expectDropped, `dropped ${c.dropped}, expected ${config.expectDropped}`);
    report("restart-resent-with-dup", c.resent === config.expectResent, `resent ${c.resent}, expected ${config.expectResent}`);
    trace(`stats published=${c.published} resent=${c.resent} dropped=${c.dropped}\n`);
    await c.disconnect(2000);
  },

  /**
   * Clean Session 0: the broker keeps the session across a DISCONNECT; a message published to the subscription while
   * the device was away is delivered when it comes back, with Session Present and no new SUBSCRIBE.
   */
  async session() {
    const got: string[] = [];
    const options: Partial<ClientOptions> = {
      clientId: "device-s", cleanSession: false,
      onMessage: (topic, payload, qos) => got.push(`${topic} ${String.fromArrayBuffer(payload.slice().buffer)} ${qos}`),
    };
    const first = client(options);
    first.connect();
    await runAsync("session-first-connection-is-new", async () => {
      await first.ready(5000);
      equal(first.sessionPresent, false, "Session Present");
      equal(await first.subscribe("dev/s", 1, 5000), 1, "granted QoS");
    });
    await first.disconnect(2000);
    trace("phase away\n");
    const second = client(options);
    second.connect();
    await runAsync("session-present-on-return", async () => {
      await second.ready(10000);
      equal(second.sessionPresent, true, "Session Present");
    });
    await runAsync("session-message-sent-while-away-delivered", async () => {
      await until(second, () => got.length > 0, 5000, "the queued message");
      equal(got.join("|"), "dev/s while-away 1", "messages");
      equal(second.subscriptions.length, 0, "no SUBSCRIBE was needed (the broker kept it)");
    });
    await second.disconnect(2000);
  },

  /** A fake broker answers CONNECT with config.reply: the client ends with config.expect, logged with its reason. */
  async fault() {
    const c = client({ keepAlive: 5, maxPacketSize: 256, outboxSize: 512 });
    c.connect();
    await runAsync("fault-is-coded", async () => {
      await until(c, () => c.state === "closed", 6000, "closed");
      equal(c.error?.code, config.expect as string, `error ${c.error ? code(c.error) : "none"}`);
    });
    await runAsync("fault-then-ready-rejects", async () => {
      try {
        await c.ready(100);
        throw new Error("ready resolved");
      } catch (e) {
        equal(e instanceof MQTTError && e.code, config.expect as string, code(e));
      }
    });
    c.close();
  },

  /** What the application can get wrong, each a coded error, thrown or rejected; nothing touches the network. */
  async arguments() {
    const never = (): never => {
      throw new Error("not used");
    };
    const rejects = async (name: string, expected: string, promise: Promise<unknown>) => {
      try {
        await promise;
        report(name, false, "resolved");
      } catch (e) {
        report(name, e instanceof MQTTError && e.code === expected, code(e));
      }
    };
    const throws = (name: string, expected: string, fn: () => unknown) => {
      try {
        fn();
        report(name, false, "accepted");
      } catch (e) {
        report(name, e instanceof MQTTError && e.code === expected, code(e));
      }
    };
    throws("argument-no-transport", "MQTT_BAD_ARGUMENT", () => new MQTTClient({ clientId: "x" } as ClientOptions));
    throws("argument-outbox-smaller-than-a-packet", "MQTT_BAD_ARGUMENT", () => client({ transport: never, maxPacketSize: 512, outboxSize: 300 }));
    throws("argument-connect-over-max-packet-size", "MQTT_PACKET_TOO_LARGE", () => client({ transport: never, maxPacketSize: 64, clientId: "c".repeat(60) }));
    throws("argument-password-without-user-name", "MQTT_BAD_ARGUMENT", () => client({ transport: never, password: "p" }));
    const c = client({ transport: never, maxPacketSize: 128, outboxSize: 512 });
    throws("argument-publish-qos-2", "MQTT_BAD_ARGUMENT", () => c.publish("a", "x", 2));
    throws("argument-publish-wildcard-topic", "MQTT_BAD_ARGUMENT", () => c.publish("a/+", "x", 0));
    throws("argument-publish-over-max-packet-size", "MQTT_PACKET_TOO_LARGE", () => c.publish("a", new Uint8Array(200), 0));
    await rejects("argument-subscribe-bad-filter", "MQTT_BAD_ARGUMENT", c.subscribe("a/#/b", 0, 1000));
    await rejects("argument-subscribe-without-timeout", "MQTT_BAD_ARGUMENT", c.subscribe("a", 0, 0));
    // Four requests wait for a connection (fixed table); the fifth is refused.
    const pending = ["a", "b", "c", "d"].map((f) => c.subscribe(f, 0, 60000).then(() => "", (e) => (e instanceof MQTTError ? e.code : String(e))));
    await rejects("argument-fifth-request-busy", "MQTT_BUSY", c.subscribe("e", 0, 1000));
    c.close();
    report("argument-close-rejects-pending-requests", (await Promise.all(pending)).join(",") === "MQTT_CLOSED,MQTT_CLOSED,MQTT_CLOSED,MQTT_CLOSED", "not rejected with MQTT_CLOSED");
    throws("argument-publish-after-close", "MQTT_CLOSED", () => c.publish("a", "x", 0));
    throws("argument-connect-after-close", "MQTT_CLOSED", () => c.connect());
    equal(await c.wait(1000), "closed", "wait on a closed client");
    const broken = client({ transport: never });
    broken.connect();
    await rejects("argument-throwing-transport-closes", "MQTT_TRANSPORT", broken.ready(1000));
  },

  /** Nothing listening: the transport's failure, coded; ready() times out with it. */
  async "no-broker"() {
    const c = client({ reconnectDelay: 50, maxReconnectDelay: 100 });
    c.connect();
    await runAsync("no-broker-ready-times-out-with-the-cause", async () => {
      try {
        await c.ready(800);
        throw new Error("connected");
      } catch (e) {
        equal(e instanceof MQTTError && e.code, "MQTT_TIMEOUT", code(e));
        check((e as Error).message.indexOf("MQTT_TRANSPORT") >= 0 && (e as Error).message.indexOf("TLS_CONNECT_FAILED") >= 0, (e as Error).message);
        equal(c.state === "backoff" || c.state === "opening", true, `state ${c.state}`);
      }
    });
    c.close();
    report("no-broker-closed", c.state === "closed", c.state);
  },
};

const name = config.scenario as string;
const scenario = scenarios[name];
if (!scenario) {
  report(`scenario-${name}`, false, "no such scenario");
  trace("done\n");
} else {
  scenario().then(
    () => trace("done\n"),
    (error) => {
      report(`scenario-${name}`, false, code(error));
      trace("done\n");
    });
}
