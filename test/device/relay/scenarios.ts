// Device-side scenarios for relay/client, against tools/relay (test/relay-client.test.js) or the real tox-bootstrapd
// (test/relay-bootstrapd.test.js). `mc/config` relayTest names the scenario, the relay's port and key, the device's
// secret key and sizes. Reports "ok <name>" / "not ok <name> <why>", "sha256 <direction> <hex>" (the Node side checks
// it against the bytes it knows were sent), "key <hex>", "phase <name>" lines the Node side acts on, then "done".
// (Test-only: SHA-256 comes from @noble/hashes, which @noble/curves depends on.)
import config from "mc/config";
import Timer from "timer";
import { connect, RelayClient, RelayError, RelayLink } from "relay/client";
import type { ConnectOptions } from "relay/client";
import { fromHex, toHex } from "relay/crypto";
import { sha256 } from "@noble/hashes/sha2.js";

type Config = {
  scenario: string; port: number; relayKey: string; secretKey?: string; peerSecretKey?: string; peerKey?: string;
  size?: number; pingInterval?: number; timeout?: number; host?: string; seed?: number;
};
const cfg = config.relayTest as Config;
const TIMEOUT = cfg.timeout ?? 10000;

class Fail extends Error {}
function check(cond: boolean, why: string): void { if (!cond) throw new Fail(why); }
function why(e: unknown): string {
  return e instanceof RelayError ? `${e.code}: ${e.message}` : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
function report(name: string, error?: unknown): void {
  trace(error === undefined ? `ok ${name}\n` : `not ok ${name} ${why(error).replace(/\n/g, " ")}\n`);
}
async function step(name: string, body: () => Promise<void> | void): Promise<boolean> {
  try {
    await body();
    report(name);
    return true;
  } catch (e) {
    report(name, e);
    return false;
  }
}
const sleep = (ms: number) => new Promise<void>((resolve) => Timer.set(() => resolve(), ms));

/**
 * Test randomness: xorshift32 seeded by the Node side for each run (xsnap's Math.random repeats run to run, so keys
 * would repeat across scenarios against the same relay). A board passes its hardware RNG instead.
 */
let state = (cfg.seed ?? 0x9e3779b9) >>> 0 || 1;
const random = (into: Uint8Array) => {
  for (let i = 0; i < into.length; i++) {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    into[i] = state & 0xff;
  }
};
function secret(hex: string | undefined): Uint8Array {
  const key = hex ? fromHex(hex, 32) : undefined;
  if (key) return key;
  const fresh = new Uint8Array(32);
  random(fresh);
  return fresh;
}

function client(secretKey: Uint8Array, options: Partial<ConnectOptions> = {}, tag = "relay"): RelayClient {
  return connect(cfg.host ?? "127.0.0.1", cfg.port, {
    relayKey: cfg.relayKey, secretKey, random, connectTimeout: TIMEOUT, pingInterval: cfg.pingInterval ?? 30000,
    tag, ...options,
  });
}

async function opened(c: RelayClient): Promise<void> {
  while (c.state !== "open") {
    if (c.error) throw c.error;
    if ((await c.wait(TIMEOUT)) === "timeout") throw new Fail(`not open within ${TIMEOUT} ms (state ${c.state})`);
  }
}

async function online(link: RelayLink): Promise<void> {
  while (link.state !== "online") {
    if (link.state === "closed") throw link.error ?? new Fail("closed");
    if ((await link.wait(TIMEOUT)) === "timeout") throw new Fail(`link not online within ${TIMEOUT} ms (state ${link.state})`);
  }
}

/** The stream a direction carries: byte i is (i * 7 + (i >>> 8) * 13 + seed) & 255 (test/relay-client.test.js knows it). */
function fill(view: Uint8Array, from: number, seed: number): void {
  for (let j = 0; j < view.length; j++) {
    const i = from + j;
    view[j] = (i * 7 + (i >>> 8) * 13 + seed) & 0xff;
  }
}

async function send(link: RelayLink, total: number, seed: number): Promise<void> {
  const chunk = new Uint8Array(1500);
  let sent = 0;
  while (sent < total) {
    const n = Math.min(chunk.length, total - sent, link.writable);
    if (n === 0) {
      if ((await link.wait(TIMEOUT, "writable")) === "timeout") throw new Fail(`no room to write within ${TIMEOUT} ms after ${sent} bytes`);
      continue;
    }
    fill(chunk.subarray(0, n), sent, seed);
    sent += link.write(chunk, 0, n);
  }
  if ((await link.wait(TIMEOUT, "drained")) === "timeout") throw new Fail("tx ring did not drain");
}

async function receive(link: RelayLink, total: number, label: string): Promise<void> {
  const hash = sha256.create();
  const chunk = new Uint8Array(1024);
  let got = 0;
  while (got < total) {
    const n = link.read(chunk);
    if (n === 0) {
      if ((await link.wait(TIMEOUT, "readable")) === "timeout") throw new Fail(`nothing to read within ${TIMEOUT} ms after ${got} bytes`);
      continue;
    }
    hash.update(chunk.subarray(0, n));
    got += n;
  }
  trace(`sha256 ${label} ${toHex(hash.digest())}\n`);
}

// ---- scenarios ----

/** Two device clients route to each other, exchange `size` bytes each way at once, refuse self, hit maxLinks. */
async function exchange(): Promise<void> {
  const a = client(secret(cfg.secretKey), { maxLinks: 3 }, "relay-a");
  const b = client(secret(cfg.peerSecretKey), {}, "relay-b");
  try {
    if (!(await step("both-open", async () => { await opened(a); await opened(b); }))) return;
    await step("self-route-refused", async () => {
      const self = a.link(a.publicKey);
      while (self.state !== "closed") if ((await self.wait(TIMEOUT)) === "timeout") throw new Fail("no routing response");
      check(self.error?.code === "RELAY_REFUSED", `closed with ${why(self.error)}`);
      check(self.error!.message.indexOf("own key") >= 0, self.error!.message);
    });
    const la = a.link(b.publicKey);
    const lb = b.link(a.publicKey);
    if (!(await step("linked", async () => { await online(la); await online(lb); check(la.id >= 16 && lb.id >= 16, `ids ${la.id} ${lb.id}`); }))) return;
    const size = cfg.size ?? 65536;
    await step("exchange-both-ways", async () => {
      await Promise.all([send(la, size, 1), send(lb, size, 2), receive(lb, size, "a-to-b"), receive(la, size, "b-to-a")]);
    });
    await step("max-links", async () => {
      const other = secret(undefined);
      other[0]! ^= 1;
      a.link(toHex(other));
      a.link(toHex(secret(undefined)));
      let code = "";
      try { a.link(secret(undefined)); } catch (e) { code = e instanceof RelayError ? e.code : String(e); }
      check(code === "RELAY_NO_LINK", `fourth link with maxLinks 3: ${code || "no throw"}`);
      check(a.links === 3, `${a.links} links`);
    });
    await step("close-clean", async () => {
      a.close();
      check(la.state === "closed" && a.state === "closed", `${la.state} ${a.state}`);
      let code = "";
      try { la.write(Uint8Array.of(1)); } catch (e) { code = e instanceof RelayError ? e.code : String(e); }
      check(code === "RELAY_CLOSED" || code === "RELAY_LINK_CLOSED", `write after close: ${code}`);
      // b learns: its link closes with RELAY_LINK_CLOSED (a told the relay before closing)
      while (lb.state !== "closed") if ((await lb.wait(TIMEOUT)) === "timeout") throw new Fail(`b's link still ${lb.state}`);
      check(lb.error?.code === "RELAY_LINK_CLOSED", why(lb.error));
    });
  } finally {
    a.close();
    b.close();
  }
}

/** A link closed by one side: the other reads what was sent before, then RELAY_LINK_CLOSED; other links go on. */
async function disconnect(): Promise<void> {
  const a = client(secret(cfg.secretKey), {}, "relay-a");
  const b = client(secret(cfg.peerSecretKey), {}, "relay-b");
  const c = client(secret(undefined), {}, "relay-c");
  try {
    if (!(await step("all-open", async () => { await opened(a); await opened(b); await opened(c); }))) return;
    const ab = a.link(b.publicKey), ba = b.link(a.publicKey), ac = a.link(c.publicKey), ca = c.link(a.publicKey);
    if (!(await step("linked", async () => { await online(ab); await online(ba); await online(ac); await online(ca); }))) return;
    await step("peer-close-notified", async () => {
      ba.write(Uint8Array.of(0x62, 0x79, 0x65)); // "bye"
      if ((await ba.wait(TIMEOUT, "drained")) === "timeout") throw new Fail("bye not sent");
      ba.close();
      // read as bytes come (a wait answers "readable" at once while bytes are unread), until the close
      const into = new Uint8Array(8);
      let got = 0;
      while (ab.state !== "closed") {
        got += ab.read(into, got);
        if ((ab.state as string) !== "closed" && (await ab.wait(TIMEOUT)) === "timeout") throw new Fail(`still ${ab.state}`);
      }
      check(ab.error?.code === "RELAY_LINK_CLOSED", why(ab.error));
      if (ab.available > 0) got += ab.read(into, got);
      check(got === 3 && into[0] === 0x62 && into[2] === 0x65, `the bytes sent before the close are readable (${got})`);
      let code = "";
      try { ab.read(into); } catch (e) { code = e instanceof RelayError ? e.code : String(e); }
      check(code === "RELAY_LINK_CLOSED", `read after drain: ${code}`);
    });
    await step("other-link-unaffected", async () => {
      await Promise.all([send(ac, 4096, 3), receive(ca, 4096, "a-to-c")]);
      check(ac.state === "online" && a.state === "open", `${ac.state} ${a.state}`);
    });
    await step("relink-after-disconnect", async () => {
      const ab2 = a.link(b.publicKey), ba2 = b.link(a.publicKey);
      await online(ab2);
      await online(ba2);
      await Promise.all([send(ba2, 2048, 4), receive(ab2, 2048, "b-to-a-again")]);
    });
  } finally {
    a.close();
    b.close();
    c.close();
  }
}

/** A handshake made with the wrong relay key is closed without a reply. */
async function wrongKey(): Promise<void> {
  const wrong = secret(undefined);
  const c = connect("127.0.0.1", cfg.port, { relayKey: wrong, secretKey: secret(undefined), random, connectTimeout: TIMEOUT });
  await step("wrong-relay-key-refused", async () => {
    while (c.state !== "failed" && c.state !== "open") if ((await c.wait(TIMEOUT)) === "timeout") throw new Fail(`still ${c.state}`);
    check(c.state === "failed", `state ${c.state}`);
    check(c.error?.code === "RELAY_CONNECT_FAILED", why(c.error));
  });
  await step("bad-arguments-coded", () => {
    const codes: string[] = [];
    const attempts: (() => unknown)[] = [
      () => connect("127.0.0.1", cfg.port, { relayKey: "00", secretKey: secret(undefined), random }),
      () => connect("127.0.0.1", 0, { relayKey: cfg.relayKey, secretKey: secret(undefined), random }),
      () => connect("127.0.0.1", cfg.port, { relayKey: cfg.relayKey, secretKey: new Uint8Array(3), random }),
      () => connect("127.0.0.1", cfg.port, { relayKey: cfg.relayKey, secretKey: secret(undefined), random, maxLinks: 241 }),
      () => connect("127.0.0.1", cfg.port, { relayKey: cfg.relayKey, secretKey: secret(undefined), random, rxSize: 100 }),
    ];
    for (const attempt of attempts) {
      try { attempt(); codes.push("none"); } catch (e) { codes.push(e instanceof RelayError ? e.code : String(e)); }
    }
    check(codes.every((code) => code === "RELAY_BAD_ARGUMENT"), codes.join(","));
  });
}

/**
 * The relay pings every pingInterval: the device answers and stays open; its link to a Node peer that stops
 * answering pings closes when the relay drops that peer ("phase linked" lets the Node side go silent).
 */
async function pings(): Promise<void> {
  const a = client(secret(cfg.secretKey), { pingInterval: 0 }, "relay-a");
  try {
    if (!(await step("open", () => opened(a)))) return;
    const link = a.link(cfg.peerKey!);
    if (!(await step("linked-to-node-peer", () => online(link)))) return;
    trace("phase linked\n");
    await step("silent-peer-dropped-by-ping-timeout", async () => {
      while (link.state !== "closed") if ((await link.wait(TIMEOUT)) === "timeout") throw new Fail(`still ${link.state}`);
      check(link.error?.code === "RELAY_LINK_CLOSED", why(link.error));
    });
    await step("device-answered-pings-and-stays-open", async () => {
      await sleep(3 * (cfg.pingInterval ?? 300));
      check(a.state === "open", `state ${a.state} ${why(a.error)}`);
    });
  } finally {
    a.close();
  }
}

/** The device's own ping: a relay that stops answering fails the connection with RELAY_TIMEOUT. */
async function relayTimeout(): Promise<void> {
  const a = client(secret(cfg.secretKey), { pingInterval: 200, pingTimeout: 300 }, "relay-a");
  if (!(await step("open", () => opened(a)))) return;
  trace("phase open\n");
  await step("relay-silent-times-out", async () => {
    while (a.state === "open") if ((await a.wait(TIMEOUT)) === "timeout") throw new Fail("still open");
    check(a.error?.code === "RELAY_TIMEOUT", why(a.error));
  });
}

const SCENARIOS: Record<string, () => Promise<void>> = { exchange, disconnect, "wrong-key": wrongKey, pings, "relay-timeout": relayTimeout };

async function main(): Promise<void> {
  const run = SCENARIOS[cfg.scenario];
  if (!run) trace(`not ok scenario unknown scenario ${cfg.scenario}\n`);
  else {
    try {
      await run();
    } catch (e) {
      report("scenario", e);
    }
  }
  trace("done\n");
}

main();
