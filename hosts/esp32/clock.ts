// device/clock: set the board's clock from NTP before any TLS connection. A board's clock starts near 1970, and the
// SDK's TLS checks every certificate's dates against it, so until it is set every handshake fails with
// "date validation failed" (modules/tls reports TLS_CERT_EXPIRED). A thin wrapper over the SDK's ECMA-419 NTP client
// (`embedded:network/ntp/client`, over the UDP socket and the DNS resolver) and its clock (`time`). The same file
// runs in the SDK's Linux simulator (whose Time.set leaves the desktop's clock alone) and in ours (hosts/sim/ntp.js,
// hosts/sim/time.js, whose clock can start unset).
//
// What it does:
// - the clock reads before `validAfter` (a cold boot: near 1970): nothing can be verified yet, so setClock() resolves
//   only once a time server has answered and the clock is set. While none answers it logs why and asks again after
//   retryMs, doubling up to retryMaxMs, forever: TLS waits (a board cannot verify a certificate without the date).
// - the clock already reads after `validAfter` (kept across a software restart, or the desktop's in the SDK's
//   simulator): setClock() resolves at once with source "kept" and sets the clock from NTP in the background,
//   with the same backoff until a server answers.
import NTP from "embedded:network/ntp/client";
import UDP from "embedded:io/socket/udp";
import Resolver from "embedded:network/dns/resolver/udp";
import Time from "time";
import Timer from "timer";

export type ClockOptions = {
  /** NTP servers, names or IPv4 addresses, asked in order. Default ["pool.ntp.org", "time.google.com"]. */
  servers?: string[];
  /** DNS servers for those names. Default ["1.1.1.1", "8.8.8.8"]. */
  dns?: string[];
  /** A clock reading before this date (ISO 8601) is not set. Default "2026-01-01T00:00:00Z". */
  validAfter?: string;
  /** The wait after the first round with no answer, doubled after each one up to retryMaxMs. Defaults 5000, 300000. */
  retryMs?: number;
  retryMaxMs?: number;
};

export type ClockStatus = {
  /** "ntp": set from a time server; "kept": the clock's own time was already valid (NTP goes on in the background). */
  source: "ntp" | "kept";
  /** The clock when setClock resolved, ms since 1970. */
  now: number;
  /** Rounds of asking it took (each round asks every server). */
  rounds: number;
};

export const DEFAULT_SERVERS = ["pool.ntp.org", "time.google.com"];
export const DEFAULT_DNS = ["1.1.1.1", "8.8.8.8"];
export const DEFAULT_VALID_AFTER = "2026-01-01T00:00:00Z";

function validAfterMs(validAfter: string | undefined): number {
  const at = Date.parse(validAfter ?? DEFAULT_VALID_AFTER);
  if (!Number.isFinite(at)) throw new RangeError(`clock: validAfter is not a date (${String(validAfter)})`);
  return at;
}

function delay(value: unknown, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new RangeError(`clock: ${name} must be an integer >= ${min} (got ${String(value)})`);
  }
  return value;
}

/** True when the clock reads after `validAfter`: certificate dates can be checked against it. */
export function clockIsSet(validAfter?: string): boolean {
  return Date.now() >= validAfterMs(validAfter);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** One round: every server, as the SDK's client asks them. The time in ms, or undefined when none answered. */
function ask(servers: string[], dnsServers: string[]): Promise<number | undefined> {
  return new Promise((resolve) => {
    let ntp: NTP;
    try {
      // Built apart from the call: NTP's typing names only `io`, and the SDK's client hands this whole object to
      // the resolver, which also needs the servers and its socket.
      const dns = { io: Resolver, servers: dnsServers, socket: { io: UDP } };
      ntp = new NTP({ servers, socket: { io: UDP }, dns });
    } catch (error) {
      trace(`clock: NTP client not started (${String(error)})\n`);
      resolve(undefined);
      return;
    }
    ntp.getTime((error: Error | null, time?: number) => {
      // Closed after this callback returns: the client is still inside its own code here.
      Promise.resolve().then(() => ntp.close());
      resolve(error || typeof time !== "number" ? undefined : time);
    });
  });
}

/**
 * Set the clock from NTP. Resolves once certificate dates can be checked (set now, or already valid); see the top of
 * this file for what happens while no server answers.
 */
export function setClock(options: ClockOptions = {}): Promise<ClockStatus> {
  let floor: number, retryMs: number, retryMaxMs: number;
  try {
    floor = validAfterMs(options.validAfter);
    retryMs = delay(options.retryMs, 5000, "retryMs", 1);
    retryMaxMs = delay(options.retryMaxMs, 300000, "retryMaxMs", retryMs);
  } catch (error) {
    return Promise.reject(error);
  }
  const servers = options.servers?.length ? options.servers : DEFAULT_SERVERS;
  const dns = options.dns?.length ? options.dns : DEFAULT_DNS;

  return new Promise((resolve) => {
    let rounds = 0;
    let settled = false;
    let wait = retryMs;
    const settle = (source: "ntp" | "kept") => {
      if (settled) return;
      settled = true;
      resolve({ source, now: Date.now(), rounds });
    };
    const round = async () => {
      rounds++;
      const before = Date.now();
      const time = await ask(servers, dns);
      if (time !== undefined && time >= floor) {
        Time.set(Math.round(time / 1000));
        trace(`clock: set from NTP to ${iso(Date.now())} (it read ${iso(before)})\n`);
        settle("ntp");
        return;
      }
      const what = time === undefined ? `no time server answered (${servers.join(", ")})` : `a time server answered ${iso(time)}, before validAfter`;
      if (Date.now() >= floor) trace(`clock: ${what}; keeping the clock's own time ${iso(Date.now())}; asking again in ${wait} ms\n`);
      else trace(`clock: ${what}; the clock reads ${iso(Date.now())}, so every certificate would fail "date validation failed": TLS waits; asking again in ${wait} ms\n`);
      Timer.set(() => { round(); }, wait);
      wait = Math.min(wait * 2, retryMaxMs);
    };
    if (Date.now() >= floor) {
      trace(`clock: reads ${iso(Date.now())}, after validAfter: TLS can start; setting it from ${servers.join(", ")} in the background\n`);
      settle("kept");
    } else {
      trace(`clock: reads ${iso(Date.now())}, not set: asking ${servers.join(", ")} before any TLS\n`);
    }
    round();
  });
}
