// One device of test/ministream-relay.test.js: a relay client (modules/relay) connected to tools/relay on
// 127.0.0.1, a link routed to the other device's public key, and a ministreaming Tunnel over that link through
// ConnectionLink. Two simulators run this module, one per device, each behind "NAT" (neither listens for the other:
// both only dial the relay).
//   role "server" (device B): its tunnel serves the peer's streams by connecting to config.service (a Node TCP
//     service on 127.0.0.1); it runs until the link goes (device A closes its relay client), then closes.
//   role "client" (device A): opens streams over the tunnel. Each stream's first byte tells the Node service what
//     to do: "E" echo what follows, "S" send config.sourceSize bytes of pattern(size, 1) and end.
//     case "echo-streams": config.streams streams at once, each uploads config.size bytes of pattern(size, i + 1)
//       and hashes what comes back ("sha echo-<i> <hex> <bytes>").
//     case "unread-stream-does-not-stop-another": stream X (a source) is opened and not read; stream Y (a source)
//       is drained in full beside it, and an echo stream runs beside it too; X holds at most its window; then X
//       is read in full ("sha x|y|z ...", "figure ..." lines).
// Reports "ok <name>" / "not ok <name> <why>", then "done".
import config from "mc/config";
import Timer from "timer";
import { connect, RelayClient, RelayLink } from "relay/client";
import { fromHex, toHex as keyHex } from "relay/crypto";
import { Tunnel } from "ministream/tunnel";
import { ConnectionLink } from "ministream/link";
import { connectTCP } from "ministream/tcp";
import type { MiniStream } from "ministream/stream";
import { INITIAL_WINDOW } from "ministream/protocol";
import { check, equal, hex, reportAsync, Pattern, echoPattern, drainToClose } from "../ministream/check";

type Config = {
  role: "client" | "server"; port: number; relayKey: string; secretKey: string; peerKey: string; seed: number;
  service?: number; streams?: number; size?: number; sourceSize?: number; timeout?: number;
};
// the relay: the one named here, or the simulator's embedded one (Simulator.start({ relay }): config.relay)
const embedded = config.relay as { host: string; port: number; key: string } | undefined;
const cfg = { ...(embedded ? { port: embedded.port, relayKey: embedded.key } : {}), ...(config.relayTunnel as object) } as Config;
const TIMEOUT = cfg.timeout ?? 15000;
const ECHO = 0x45, SOURCE = 0x53; // "E", "S"

// test randomness (the relay handshake's nonces and ephemeral keys), seeded by the Node side per run
let state = (cfg.seed >>> 0) || 1;
const random = (into: Uint8Array) => {
  for (let i = 0; i < into.length; i++) {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    into[i] = state & 0xff;
  }
};

const sleep = (ms: number) => new Promise<void>((resolve) => Timer.set(() => resolve(), ms));

async function opened(c: RelayClient): Promise<void> {
  while (c.state !== "open") {
    if (c.error) throw c.error;
    if ((await c.wait(TIMEOUT)) === "timeout") throw new Error(`relay not open within ${TIMEOUT} ms (state ${c.state})`);
  }
}

async function online(link: RelayLink): Promise<void> {
  while (link.state !== "online") {
    if (link.state === "closed") throw link.error ?? new Error("link closed");
    if ((await link.wait(TIMEOUT)) === "timeout") throw new Error(`link not online within ${TIMEOUT} ms (state ${link.state})`);
  }
}

async function streamOpen(s: MiniStream): Promise<void> {
  while (s.state === "connecting") await s.wait(TIMEOUT);
  equal(s.state, "open", "stream state");
}

/** Writes all of `bytes` (waiting for room). */
async function writeAll(s: MiniStream, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.byteLength) {
    const n = s.write(bytes, at, bytes.byteLength - at);
    at += n;
    if (n === 0 && (await s.wait(TIMEOUT, "writable")) === "timeout") throw new Error("no room to write");
  }
}

/** Uploads `size` pattern bytes after the "E" and hashes what comes back, both at once. */
async function echoRun(s: MiniStream, size: number, seed: number): Promise<{ sha: string; bytes: number }> {
  await streamOpen(s);
  await writeAll(s, Uint8Array.of(ECHO));
  return echoPattern(s, size, seed, TIMEOUT);
}

/** Reads until the peer's Close; returns the hash and the count. */
async function drain(s: MiniStream): Promise<{ sha: string; bytes: number }> {
  await streamOpen(s);
  return drainToClose(s, TIMEOUT);
}

async function source(tunnel: Tunnel): Promise<MiniStream> {
  const s = tunnel.open();
  await streamOpen(s);
  await writeAll(s, Uint8Array.of(SOURCE));
  return s;
}

async function runClient(tunnel: Tunnel): Promise<void> {
  const count = cfg.streams ?? 4;
  const size = cfg.size ?? 32768;
  const sourceSize = cfg.sourceSize ?? 65536;
  await reportAsync("echo-streams", async () => {
    const t = Date.now();
    const runs: Promise<{ sha: string; bytes: number }>[] = [];
    for (let i = 0; i < count; i++) runs.push(echoRun(tunnel.open(), size, i + 1));
    const results = await Promise.all(runs);
    trace(`figure echo-ms ${Date.now() - t}\n`);
    for (let i = 0; i < count; i++) {
      trace(`sha echo-${i} ${results[i]!.sha} ${results[i]!.bytes}\n`);
      equal(results[i]!.bytes, size, `stream ${i} bytes back`);
    }
  });
  await reportAsync("unread-stream-does-not-stop-another", async () => {
    const x = await source(tunnel);
    const t = Date.now();
    const [y, z] = await Promise.all([source(tunnel).then(drain), echoRun(tunnel.open(), size, 99)]);
    trace(`figure beside-unread-ms ${Date.now() - t}\n`);
    trace(`sha y ${y.sha} ${y.bytes}\n`);
    trace(`sha z ${z.sha} ${z.bytes}\n`);
    equal(y.bytes, sourceSize, "Y's bytes");
    equal(z.bytes, size, "the echo stream's bytes");
    await sleep(200); // anything X could still receive has come
    trace(`figure x-held-bytes ${x.readable}\n`);
    check(x.readable > 0, "X received its window's worth before stalling");
    check(x.readable <= INITIAL_WINDOW, `X holds ${x.readable} bytes, more than its window ${INITIAL_WINDOW}`);
    equal(x.state, "open", "X still open");
    const rx = await drain(x);
    trace(`sha x ${rx.sha} ${rx.bytes}\n`);
    equal(rx.bytes, sourceSize, "X's bytes once read");
  });
}

async function main(): Promise<void> {
  const secretKey = fromHex(cfg.secretKey, 32)!;
  const relay = connect("127.0.0.1", cfg.port, {
    relayKey: cfg.relayKey, secretKey, random, connectTimeout: TIMEOUT, tag: `relay-${cfg.role}`,
  });
  let link: ConnectionLink | undefined;
  try {
    await opened(relay);
    trace(`key ${keyHex(relay.publicKey)}\n`);
    const rl = relay.link(cfg.peerKey);
    await online(rl);
    trace(`phase online\n`);
    let lost: (why: string) => void = () => {};
    const gone = new Promise<string>((resolve) => { lost = resolve; });
    if (cfg.role === "server") {
      const tunnel = new Tunnel({
        service: () => connectTCP("127.0.0.1", cfg.service!, { rxSize: 2048, txSize: 1024, connectTimeout: TIMEOUT }),
        maxAccepted: 16, connectTimeout: TIMEOUT, tag: "tunnel-b",
      });
      link = new ConnectionLink(tunnel, rl, { poll: 1000, onLost: (why) => lost(why) });
      const why = await gone;
      trace(`server link ended: ${why}\n`);
      trace(`figure server-open-streams ${tunnel.acceptedStreams}\n`);
    } else {
      const tunnel = new Tunnel({ key: hex("0a 0b 0c 0d"), maxStreams: 16, connectTimeout: TIMEOUT, tag: "tunnel-a" });
      link = new ConnectionLink(tunnel, rl, { poll: 1000, onLost: (why) => lost(why) });
      await runClient(tunnel);
      tunnel.close();
      await sleep(300); // the streams' Closes leave before the link does
      // the relay link carries the last bytes to the relay before it is closed
      await rl.wait(TIMEOUT, "drained");
      link.close();
    }
  } finally {
    link?.close();
    relay.close();
  }
}

main().then(() => trace("done\n"), (e) => trace(`not ok ${cfg.role}-script ${String(e)}\n`));
