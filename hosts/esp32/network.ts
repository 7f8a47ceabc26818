// device/network on a board: join the Wi-Fi network named in the manifest's config, with retry and backoff, and
// rejoin when the link drops. A thin wrapper over the SDK's ECMA-419 Wi-Fi station (`embedded:network/interface/wifi`,
// modules/io/wifi/esp32). The simulator runs this same file over its own Wi-Fi station (hosts/sim/wifi.js); the
// SDK's Linux simulator has no Wi-Fi and uses network-lin.ts instead.
//
// The station reports only `connection` (200 disconnected, 300 connecting, 400 associated, 500 with an address):
// a wrong password, an access point out of range and a DHCP server that never answers all look the same, a join
// that ends at 200 or does not reach 500 in time. Each failed attempt waits retryMs, doubling up to retryMaxMs,
// then tries again; `attempts` 0 (the default) tries forever, as a field device must.
import WiFi from "embedded:network/interface/wifi";
import Timer from "timer";

export type NetworkOptions = {
  /** The network to join. Required (the board has no other way onto the network). */
  ssid: string;
  /** Its passphrase; empty for an open network. */
  password?: string;
  /** DHCP host name (optional). */
  hostname?: string;
  /** An attempt that has no address by then is abandoned, ms. Default 20000. */
  joinTimeoutMs?: number;
  /** The wait after the first failed attempt, doubled after each one up to retryMaxMs. Defaults 1000, 60000. */
  retryMs?: number;
  retryMaxMs?: number;
  /** Attempts before joinNetwork rejects; 0 = never give up. Default 0. */
  attempts?: number;
};

export type NetworkStatus = {
  address: string;
  ssid: string;
  /** Attempts it took. */
  attempts: number;
};

export type NetworkEvents = {
  /** The link dropped after a join; the wrapper is rejoining. */
  onDown?: () => void;
  /** Joined again after a drop. */
  onUp?: (status: NetworkStatus) => void;
};

const CONNECTED_WITH_ADDRESS = 500;
const DISCONNECTED = 200;

function count(value: unknown, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new RangeError(`network: ${name} must be an integer >= ${min} (got ${String(value)})`);
  }
  return value;
}

/** The wait before attempt `n + 1` after `n` failures: retryMs doubled n - 1 times, capped. */
export function backoff(failures: number, retryMs: number, retryMaxMs: number): number {
  let wait = retryMs;
  for (let i = 1; i < failures && wait < retryMaxMs; i++) wait *= 2;
  return Math.min(wait, retryMaxMs);
}

/**
 * Join the network. Resolves once the board has an address; rejects only when `attempts` run out or the options
 * are wrong. Keeps watching afterwards: a drop is logged and rejoined with the same backoff.
 */
export function joinNetwork(options: NetworkOptions, events: NetworkEvents = {}): Promise<NetworkStatus> {
  if (!options || typeof options.ssid !== "string" || options.ssid.length === 0) {
    return Promise.reject(new Error("network: no Wi-Fi SSID configured (config.wifiSSID)"));
  }
  let joinTimeoutMs: number, retryMs: number, retryMaxMs: number, attempts: number;
  try {
    joinTimeoutMs = count(options.joinTimeoutMs, 20000, "joinTimeoutMs", 1);
    retryMs = count(options.retryMs, 1000, "retryMs", 1);
    retryMaxMs = count(options.retryMaxMs, 60000, "retryMaxMs", retryMs);
    attempts = count(options.attempts, 0, "attempts", 0);
  } catch (error) {
    return Promise.reject(error);
  }
  const { ssid, password } = options;

  return new Promise((resolve, reject) => {
    let attempt = 0;
    let failures = 0;
    let joined = false;
    let state: "joining" | "waiting" | "up" = "joining";
    let timer: Timer | undefined;
    const clear = () => {
      if (timer) Timer.clear(timer);
      timer = undefined;
    };

    const wifi = new WiFi({
      onChanged() {
        const connection = wifi.connection;
        if (connection === CONNECTED_WITH_ADDRESS && state === "joining") {
          clear();
          state = "up";
          failures = 0;
          const status = { address: wifi.address ?? "", ssid, attempts: attempt };
          trace(`network: joined "${ssid}" as ${status.address} (attempt ${attempt})\n`);
          if (!joined) {
            joined = true;
            resolve(status);
          } else events.onUp?.(status);
        } else if (connection <= DISCONNECTED) {
          if (state === "joining") failed("refused or out of range");
          else if (state === "up") {
            trace(`network: lost "${ssid}"; rejoining\n`);
            events.onDown?.();
            start();
          }
        }
      },
    });
    if (options.hostname) {
      try {
        wifi.configure({ hostname: options.hostname });
      } catch (error) {
        trace(`network: hostname not set (${String(error)})\n`);
      }
    }

    function start() {
      attempt++;
      state = "joining";
      trace(`network: joining "${ssid}" (attempt ${attempt})\n`);
      try {
        wifi.connect(password ? { SSID: ssid, password } : { SSID: ssid });
      } catch (error) {
        // "already connecting": the station is still busy with the last attempt; end it and count a failure.
        wifi.disconnect();
        failed(String(error));
        return;
      }
      clear();
      timer = Timer.set(() => {
        timer = undefined;
        wifi.disconnect();
        failed(`no address within ${joinTimeoutMs} ms`);
      }, joinTimeoutMs);
    }

    function failed(why: string) {
      clear();
      failures++;
      state = "waiting";
      if (attempts > 0 && attempt >= attempts && !joined) {
        trace(`network: giving up on "${ssid}" after ${attempt} attempts (${why})\n`);
        wifi.close();
        reject(new Error(`network: could not join "${ssid}" (${why})`));
        return;
      }
      const wait = backoff(failures, retryMs, retryMaxMs);
      trace(`network: join failed (${why}); retrying in ${wait} ms\n`);
      timer = Timer.set(() => {
        timer = undefined;
        start();
      }, wait);
    }

    start();
  });
}
