// Node side of the MQTT tests (not device code): a real broker (aedes) listening with TLS on 127.0.0.1 with the
// fixture certificates (server.pem + ca.pem sent as the chain, as the board needs), an mqtt.js monitor that
// subscribes on the Node side, a fake broker (a plain TLS server that answers CONNECT with chosen bytes), and the
// runner of the device scenarios (test/device/mqtt-client.ts).
import tls from "node:tls";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import * as assert from "uvu/assert";
import { certs } from "../../support/servers.js";
import { runDevice } from "../../support/device.js";

const TLS = () => ({
  cert: Buffer.concat([certs.serverPem, Buffer.from("\n"), certs.caPem]),
  key: certs.serverKey,
  minVersion: "TLSv1.2",
});

function listen(server, port) {
  const sockets = new Set();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("tlsClientError", () => {});
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve({
        port: server.address().port,
        destroy() {
          for (const s of sockets) s.destroy();
          sockets.clear();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}

/**
 * aedes over TLS. options: port (0: any), and aedes hooks (authenticate, authorizePublish, authorizeSubscribe).
 * Resolves { port, aedes, log, close() }: log records the PUBLISH packets (in wire order), PINGREQs per client,
 * disconnects and errors.
 */
export async function startBroker({ port = 0, authorizePublish, ...hooks } = {}) {
  const log = { pings: new Map(), publishes: [], disconnects: [], errors: [] };
  // Every PUBLISH from a client, in the order the broker parsed them (its 'publish' event comes later, and QoS 1
  // passes through its persistence first, so that order is not the wire's), with DUP as it came.
  const logPublish = (client, packet, done) => {
    log.publishes.push({ client: client.id, topic: packet.topic, payload: String(packet.payload), qos: packet.qos, dup: !!packet.dup });
    if (authorizePublish) authorizePublish(client, packet, done);
    else done(null);
  };
  const aedes = await Aedes.createBroker({ heartbeatInterval: 60000, ...hooks, authorizePublish: logPublish });
  aedes.on("ping", (_packet, client) => log.pings.set(client.id, (log.pings.get(client.id) ?? 0) + 1));
  aedes.on("clientDisconnect", (client) => log.disconnects.push(client.id));
  aedes.on("clientError", (client, error) => log.errors.push(`${client?.id}: ${error.message}`));
  aedes.on("connectionError", (client, error) => log.errors.push(`${client?.id}: ${error.message}`));
  const server = tls.createServer(TLS(), aedes.handle);
  const listening = await listen(server, port);
  let closing;
  return {
    port: listening.port,
    aedes,
    log,
    close() {
      closing ??= Promise.all([listening.destroy(), new Promise((done) => aedes.close(() => done()))]);
      return closing;
    },
  };
}

/** An mqtt.js client on the Node side, subscribed to `filters` at QoS 1; `messages` fills as they come. */
export async function startMonitor(port, filters, clientId = "monitor") {
  const client = mqtt.connect({
    protocol: "mqtts", host: "127.0.0.1", port, servername: "localhost", ca: certs.caPem,
    clientId, reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4,
  });
  const messages = [];
  const waiters = [];
  client.on("message", (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain });
    for (const w of waiters.splice(0)) w();
  });
  client.on("error", () => {});
  await new Promise((resolve, reject) => {
    client.once("connect", resolve);
    client.once("error", reject);
  });
  if (filters.length) await client.subscribeAsync(Object.fromEntries(filters.map((topic) => [topic, { qos: 1 }])));
  return {
    client,
    messages,
    /** Resolves once `count` messages have come (rejects after timeoutMs with what came). */
    async waitFor(count, timeoutMs = 10000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`monitor: ${messages.length} of ${count} messages after ${timeoutMs} ms: ${messages.map((m) => m.payload).join(",")}`);
        await new Promise((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return messages;
    },
    publish(topic, payload, qos) {
      return client.publishAsync(topic, payload, { qos });
    },
    close() {
      return client.endAsync(true);
    },
  };
}

/**
 * A fake broker: a TLS server that, once it has read a CONNECT's first bytes, writes `reply` (a Buffer), then ends
 * the connection when `end` is true. `received` collects every byte it read, per connection.
 */
export async function fakeBroker(reply, { end = false } = {}) {
  const received = [];
  const server = tls.createServer(TLS(), (socket) => {
    socket.on("error", () => {});
    const bytes = [];
    received.push(bytes);
    let answered = false;
    socket.on("data", (chunk) => {
      bytes.push(...chunk);
      if (answered || bytes[0] !== 0x10) return;
      answered = true;
      if (end) socket.end(reply);
      else socket.write(reply);
    });
  });
  const listening = await listen(server, 0);
  return { port: listening.port, received, close: () => listening.destroy() };
}

/**
 * Run the device scenario `config.scenario` of test/device/mqtt-client.ts (the app "mqtt-client-test" of
 * test/device/mqtt/manifest.json); every case must pass and, when `cases` is given, be exactly those, in order.
 */
export async function runClient(config, { cases, ...options } = {}) {
  const run = await runDevice("mqtt-client-test", { manifest: "test/device/mqtt/manifest.json", config, timeout: 60000, ...options });
  assert.is(run.aborted, null, "the device aborted");
  assert.not.ok(run.timedOut, "the device did not finish");
  assert.ok(run.done, "no `done` line");
  for (const c of run.cases) assert.ok(c.ok, `${c.name}: ${c.why}`);
  if (cases) assert.equal(run.cases.map((c) => c.name), cases, "the cases reported");
  const refused = run.traces.find((l) => l.includes("refused transition"));
  assert.not.ok(refused, refused);
  return run;
}

/** The client's state transitions in a device log ("mqtt: A -> B (why)"), as "A>B" joined by spaces. */
export function transitions(traces, tag = "mqtt") {
  return traces
    .map((l) => new RegExp(`^${tag}: (\\w+) -> (\\w+) `).exec(l))
    .filter(Boolean)
    .map((m) => `${m[1]}>${m[2]}`)
    .join(" ");
}
