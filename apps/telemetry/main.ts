// MQTT telemetry for field devices: samples simulated sensors on a timer and publishes each reading as JSON over
// the policy's `telemetry` stream type (mqtt, QoS 1) through Secure Streams. Offline, readings wait in the mqtt
// client's fixed outbox; when it is full the oldest are dropped and counted, and the count travels in every
// reading (`dropped`, the stream's "dropped" metadata item, as it stood when that reading was queued); on reconnect
// what was kept goes out in order. After the last reading a summary (`final: true`) carries the final count, which
// also counts a drop the last reading itself caused.
// config.telemetry: policy (a resource name; config.policy, a JSON string, wins when given), unit, intervalMs,
// count (0: forever), outboxSize, lingerMs (after the last reading, before the app says "telemetry: done").
import config from "mc/config";
import Resource from "Resource";
import Timer from "timer";
import { parsePolicy } from "ss/policy";
import { createContext, stateName, LWSSSSRET_OK, LWSSSCS_CREATING, LWSSSCS_QOS_ACK_REMOTE, LWSSS_FLAG_SOM, LWSSS_FLAG_EOM } from "ss";
import { mqttProtocol } from "ss/mqtt";

type TelemetryConfig = { policy: string; unit: string; intervalMs: number; count: number; outboxSize: number; lingerMs: number };
const settings = (config as unknown as { telemetry: TelemetryConfig; policy?: string });
const t = settings.telemetry;

function policyText(): string {
  if (typeof settings.policy === "string" && settings.policy.length > 0) return settings.policy;
  const bytes = new Uint8Array(new Resource(t.policy).slice(0));
  let text = "";
  for (let i = 0; i < bytes.length; i += 256) {
    text += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, Math.min(bytes.length, i + 256))));
  }
  return text;
}

/** A simulated sensor: a slow drift plus a deterministic wobble (no clock, no Math.random). */
class Sensor {
  #x = 0;
  constructor(readonly base: number, readonly span: number) {}
  sample(): number {
    this.#x++;
    const v = this.base + this.span * Math.sin(this.#x / 7) + ((this.#x * 37) % 11) / 100;
    return Math.round(v * 100) / 100;
  }
}

type App = { seq: number; acks: number; final: boolean };
const app: App = { seq: 0, acks: 0, final: false };
const temperature = new Sensor(21.5, 3), humidity = new Sensor(48, 10);

const context = createContext({
  policy: parsePolicy(policyText()),
  protocols: { mqtt: mqttProtocol({ outboxSize: t.outboxSize, maxPacketSize: 256 }) },
  log: (line) => trace(`${line}\n`),
});

const h = context.create<App>({
  streamtype: "telemetry",
  state(h, _src, state) {
    if (state === LWSSSCS_CREATING) {
      h.setMetadata("unit", t.unit);
      h.setMetadata("clientid", `telemetry-${t.unit}`);
    }
    if (state === LWSSSCS_QOS_ACK_REMOTE) h.opaque.acks++;
    else trace(`telemetry: state ${stateName(state)}\n`);
    return LWSSSSRET_OK;
  },
  tx(h, _ord, buf, out) {
    // "dropped" is fresh here: ss/mqtt sets it from the outbox just before each tx call
    const dropped = Number(h.getMetadata("dropped") || "0");
    const text = h.opaque.final
      ? JSON.stringify({ unit: t.unit, final: true, readings: h.opaque.seq, dropped })
      : JSON.stringify({ unit: t.unit, seq: h.opaque.seq, t: temperature.sample(), h: humidity.sample(), dropped });
    for (let i = 0; i < text.length; i++) buf[i] = text.charCodeAt(i);
    out.len = text.length;
    out.flags = LWSSS_FLAG_SOM | LWSSS_FLAG_EOM;
    return LWSSSSRET_OK;
  },
}, app);

function reading(): void {
  const seq = ++app.seq;
  h.requestTx(); // ss/mqtt takes the payload into the outbox at once, online or not
  if (t.count > 0 && seq >= t.count) {
    Timer.clear(sampler);
    // The summary goes once every reading is acknowledged or dropped: the outbox is empty then, so the count it
    // carries is final (queued earlier, it could itself push out one more reading). Waits lingerMs at most.
    let waited = 0;
    const summary = Timer.repeat(() => {
      waited += t.intervalMs;
      const dropped = Number(h.getMetadata("dropped") || "0");
      if (app.acks + dropped < seq && waited < t.lingerMs) return;
      Timer.clear(summary);
      app.final = true;
      h.requestTx();
      Timer.set(() => {
        trace(`telemetry: done, ${seq} readings, ${app.acks} acknowledged, dropped ${h.getMetadata("dropped") || "0"}\n`);
        h.destroy();
      }, t.lingerMs);
    }, t.intervalMs);
  }
}

const sampler = Timer.repeat(reading, t.intervalMs);
trace(`telemetry: unit ${t.unit}, a reading every ${t.intervalMs} ms${t.count ? `, ${t.count} of them` : ""}\n`);
