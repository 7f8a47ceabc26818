// `--broker`: the embedded MQTT broker the telemetry app talks to in the simulator (Node side, not device code).
// aedes listening with TLS on 127.0.0.1 with the fixture certificates (server.pem with ca.pem as its chain, as the
// board needs: leaf + CA, TLS 1.2 at least, P-256), and a monitor (an mqtt.js client subscribed to everything at
// QoS 1) that prints `monitor: <topic> <payload>` for each message that arrives. The port is the one the app's
// policy gives its mqtt stream type, unless told otherwise; then the device is handed the policy with that port.
import { readFileSync } from "node:fs";
import tls from "node:tls";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { readManifest } from "./loader.js";

const CERTS = new URL("../test/fixtures/certs/", import.meta.url);
const read = (name) => readFileSync(new URL(name, CERTS));

/** The first mqtt stream type's port in the manifest's policy resource: { port, text } (text: the policy), or null. */
export function policyOf(manifest) {
  for (const file of readManifest(manifest).resources.values()) {
    let policy;
    try {
      policy = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      continue;
    }
    for (const entry of Array.isArray(policy?.s) ? policy.s : []) {
      for (const type of Object.values(entry ?? {})) {
        if (type?.protocol === "mqtt" && Number.isInteger(type.port)) return { port: type.port, text: readFileSync(file, "utf8") };
      }
    }
  }
  return null;
}

/**
 * Start aedes over TLS on 127.0.0.1:port (0: any) and the monitor. print(line) gets each monitor line.
 * Resolves { port, close() }.
 */
export async function startBroker({ port = 0, print = (line) => console.log(line) } = {}) {
  const ca = read("ca.pem");
  const aedes = await Aedes.createBroker();
  const sockets = new Set();
  const server = tls.createServer({ cert: Buffer.concat([read("server.pem"), Buffer.from("\n"), ca]), key: read("server.key"), minVersion: "TLSv1.2" }, aedes.handle);
  server.on("secureConnection", (socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("tlsClientError", () => {});
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server.off("error", reject)));
  });
  const bound = server.address().port;
  const monitor = mqtt.connect({
    protocol: "mqtts", host: "127.0.0.1", port: bound, servername: "localhost", ca,
    clientId: "monitor", reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4,
  });
  monitor.on("message", (topic, payload) => print(`monitor: ${topic} ${payload}`));
  monitor.on("error", (error) => print(`monitor: error ${error.message}`));
  await new Promise((resolve, reject) => {
    monitor.once("connect", resolve);
    monitor.once("error", reject);
  });
  await monitor.subscribeAsync("#", { qos: 1 });
  return {
    port: bound,
    async close() {
      await monitor.endAsync(true).catch(() => {});
      for (const s of sockets) s.destroy();
      await new Promise((done) => server.close(() => done()));
      await new Promise((done) => aedes.close(() => done()));
    },
  };
}
