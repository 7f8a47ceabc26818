// The MQTT client (modules/mqtt/client) in XS against a fake broker: a plain TLS server on 127.0.0.1 that answers the
// device's CONNECT with chosen bytes. Every malformed, oversized or out-of-place packet ends the session cleanly with
// a coded error whose reason is in the device log: never an XS abort, never a hang.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fakeBroker, runClient } from "./device/mqtt/support.js";

const CASES = ["fault-is-coded", "fault-then-ready-rejects"];

const faults = [
  // what, reply (hex), end the connection after it, code, the words logged
  ["CONNACK with return code 7", "20 02 00 07", false, "MQTT_BAD_PACKET", "bad packet from the broker: CONNACK with unknown Connect Return code 7"],
  ["CONNACK of 3 bytes", "20 03 00 00 00", false, "MQTT_BAD_PACKET", "CONNACK with Remaining Length 3, must be 2"],
  ["CONNACK with reserved flags", "20 02 80 00", false, "MQTT_BAD_PACKET", "reserved Connect Acknowledge Flags"],
  ["a Remaining Length of 5 bytes", "20 ff ff ff ff 01", false, "MQTT_BAD_PACKET", "Remaining Length longer than 4 bytes"],
  ["packet type 0", "00 00", false, "MQTT_BAD_PACKET", "unknown packet type 0 (Reserved)"],
  ["an HTTP answer", Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n").toString("hex"), true, "MQTT_BAD_PACKET", "PUBACK with fixed header flags 8, must be 0"],
  ["a 2 MiB PUBLISH announced after CONNACK", "20 02 00 00 30 ff ff 7f", false, "MQTT_PACKET_TOO_LARGE", "PUBLISH of 2097155 bytes exceeds the maximum packet size of 256"],
  ["PINGRESP before CONNACK", "d0 00", false, "MQTT_PROTOCOL", "the broker's first packet was PINGRESP, not CONNACK"],
  ["a QoS 2 PUBLISH", "20 02 00 00 34 06 00 01 61 00 01 7a", false, "MQTT_PROTOCOL", "a QoS 2 PUBLISH"],
  ["CONNACK 5", "20 02 00 05", false, "MQTT_CONNECT_REFUSED", "CONNACK 5: Connection Refused, not authorized"],
  ["half a CONNACK, then close", "20 02 00", true, "MQTT_CONNECTION_LOST", "the connection ended: TLS_CLOSED"],
];

for (const [what, reply, end, code, words] of faults) {
  test(`mqtt: fake broker sends ${what} -> ${code}, reason logged, no abort`, async () => {
    const fake = await fakeBroker(Buffer.from(reply.replace(/\s+/g, ""), "hex"), { end });
    try {
      const run = await runClient({ scenario: "fault", port: fake.port, expect: code }, { cases: CASES });
      const logged = run.traces.find((l) => l.startsWith(`mqtt: ${code} `));
      assert.ok(logged, `no "mqtt: ${code}" line in ${run.traces.join(" | ")}`);
      assert.ok(logged.includes(words), `"${logged}" does not say "${words}"`);
      assert.is(fake.received.length, 1, "one connection: reconnectDelay 0 does not retry");
      assert.is(fake.received[0][0], 0x10, "it began with CONNECT");
    } finally {
      await fake.close();
    }
  });
}

test.run();
