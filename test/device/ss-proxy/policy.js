// Node side of the serialized Secure Streams tests: the Secure Streams test policy (test/device/ss/servers.js) with
// peers.md's stream type name `echo_raw` added, so golden frames carry the same name as lws' recorded ones, and
// with `ports.mqtt` an mqtt stream type `mq` on that broker.
import { testPolicy } from "../ss/servers.js";

export function proxyPolicy(ports) {
  const p = JSON.parse(testPolicy(ports));
  const echo = p.s.find((t) => t.echo).echo;
  p.s.push({ echo_raw: { ...echo } });
  if (ports.mqtt) {
    // an mqtt stream type subscribed to its own topic: what it publishes comes back as rx, the topic in metadata
    p.s.push({ mq: {
      endpoint: "localhost", port: ports.mqtt, protocol: "mqtt", tls: true, tls_trust_store: "fixture", retry: "quick",
      metadata: [{ topic: "" }], mqtt_topic: "proxied/readings", mqtt_subscribe: "proxied/readings", mqtt_qos: 1,
      mqtt_keep_alive: 60, mqtt_clean_start: true,
    } });
  }
  return JSON.stringify(p);
}
