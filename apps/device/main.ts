// The device app (the root manifest.json): what a field board runs, and `npm start` in the simulator.
//   1. join the network (device/network: Wi-Fi with retry and backoff on a board),
//   2. set the clock (device/clock: NTP; no TLS before it, since the board checks certificate dates),
//   3. the demo's round trips, when `config.device.demo` (the workload until the telemetry app lands),
//   4. serve the TIPI TLS extension on the link, when `config.device.link` (a UART on esp32: config.tipi.serial),
//   5. check the broker, when `config.broker.host` is set: one verified TLS connection, retried with backoff.
// Every step logs one line per outcome (README, "Flashing an ESP32", shows them).
import config from "mc/config";
import Resource from "Resource";
import Timer from "timer";
import { joinNetwork, type NetworkOptions } from "device/network";
import { setClock, type ClockOptions } from "device/clock";
import { runDemo, type DemoConfig } from "demo";
import { startTipiLink } from "device/link";
import { connect, TLSError } from "tls/client";

type BrokerConfig = {
  host: string;
  port: number;
  /** Resource holding the CA that signed the broker's certificate (DER). */
  ca: string;
  connectTimeout?: number;
  retryMs?: number;
  retryMaxMs?: number;
  /** Checks before giving up; 0 = never. */
  attempts?: number;
};

const steps = (config.device ?? {}) as { demo?: boolean; link?: boolean };

/** What each failure means for a broker, in the words a firmware engineer looks for on the serial log. */
function brokerHint(error: unknown): string {
  if (!(error instanceof TLSError)) return String(error);
  const hints: Record<string, string> = {
    TLS_DNS: "the broker's name did not resolve",
    TLS_CONNECT_FAILED: "the broker is down or unreachable (refused, reset or closed)",
    TLS_TIMEOUT: "the broker did not answer in time",
    TLS_CERT_UNTRUSTED: "untrusted certificate: not signed by the CA resource (config.broker.ca), a name that is not config.broker.host, or the issuer not sent",
    TLS_CERT_EXPIRED: `certificate out of its dates for the device clock (${new Date().toISOString()})`,
    TLS_CERT_CHAIN: "the certificate after the leaf has no Authority Key Identifier",
    TLS_HANDSHAKE: "the broker refused TLS 1.2, the board's cipher suites or P-256",
  };
  return `${error.code} (${hints[error.code] ?? "see README"}): ${error.message}`;
}

/** One verified TLS connection to the broker, then closed. Retried with backoff; resolves true once it worked. */
async function checkBroker(broker: BrokerConfig): Promise<boolean> {
  const where = `${broker.host}:${broker.port}`;
  const ca = new Resource(broker.ca).slice(0);
  let wait = broker.retryMs ?? 5000;
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    const connection = connect(broker.host, broker.port, { ca, connectTimeout: broker.connectTimeout ?? 10000, tag: "broker" });
    try {
      while (!connection.isOpen()) {
        if (connection.error) throw connection.error;
        await connection.wait(broker.connectTimeout ?? 10000);
      }
      trace(`broker: TLS to ${where} up, certificate verified (${Date.now() - started} ms)\n`);
      return true;
    } catch (error) {
      const last = (broker.attempts ?? 0) > 0 && attempt >= (broker.attempts ?? 0);
      trace(`broker: ${where} failed: ${brokerHint(error)}; ${last ? "giving up" : `retrying in ${wait} ms`}\n`);
      if (last) return false;
    } finally {
      connection.close();
    }
    await new Promise<void>((resolve) => { Timer.set(() => resolve(), wait); });
    wait = Math.min(wait * 2, broker.retryMaxMs ?? 300000);
  }
}

async function boot(): Promise<void> {
  trace("device: starting\n");
  const network: NetworkOptions = { ...(config.network ?? {}), ssid: config.wifiSSID ?? "", password: config.wifiPassword ?? "" };
  await joinNetwork(network);
  await setClock((config.clock ?? {}) as ClockOptions);
  if (steps.demo) await runDemo(config.demo as DemoConfig);
  if (steps.link) startTipiLink(config.tipi as Parameters<typeof startTipiLink>[0]);
  const broker = config.broker as BrokerConfig | undefined;
  if (broker?.host) await checkBroker(broker);
  trace("device: ready\n");
}

boot().catch((error) => {
  // Only a configuration error gets here (no SSID, a bad option): the steps above retry everything else.
  trace(`device: stopped: ${error instanceof Error ? error.message : String(error)}\n`);
});
