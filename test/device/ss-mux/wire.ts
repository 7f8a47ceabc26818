// The transport mux (ss/mux) on the wire, in XS: our mux on a TCP link to a stand-in peer that records every byte
// and answers with the bytes a case chooses. Each command's bytes as lws v4.4.5 puts them on the wire (each case
// names the lws function it follows, lib/core-net/transport-mux-common.c), both roles, then bad input: a MUX
// frame for an unknown channel, CHANNEL_CLOSE, an unknown command byte, RESET_TRANSPORT, a PONG that never comes.
// test/ss-mux.test.js gives the ports in mc/config. Reports "ok <name>" / "not ok <name> <why>", then "done".
import config from "mc/config";
import Time from "time";
import TCP from "embedded:io/socket/tcp";
import { Mux } from "ss/mux";
import { LWSTMC_OPERATIONAL } from "ss/constants";
import { FakeProxy } from "../ss-proxy/support";
import { runAsync, check, equal, sleep } from "../ss/support";
import { hex as bytes } from "../common/check";
import { Tape, u64, until, ChannelUser } from "./support";

const cfg = config as unknown as { fakePort: number };
const log: string[] = [];
const logTo = (line: string) => { log.push(line); trace(`${line}\n`); };
const fake = new FakeProxy(cfg.fakePort);
let links = 0;

/** A mux of `role` on a new link to the fake peer, and the peer's tape of what the mux sent. */
async function muxToPeer(role: "client" | "proxy", extra: Partial<ConstructorParameters<typeof Mux>[0]> = {}) {
  const mux = new Mux({
    link: { io: TCP, address: "127.0.0.1", port: cfg.fakePort }, role, log: logTo, pingIntervalMs: 60000, ...extra,
  });
  const peer = await fake.link(links++);
  check(peer !== undefined, "the mux never connected its link");
  return { mux, peer: peer!, tape: new Tape(peer!) };
}

type Link = Awaited<ReturnType<typeof muxToPeer>>;

/** A case on a new link to the fake peer, the handshake done first (unless `up` is false); the mux closed after. */
async function onLink(
  role: "client" | "proxy", options: Partial<ConstructorParameters<typeof Mux>[0]> & { up?: boolean },
  body: (link: Link) => Promise<void>,
): Promise<void> {
  const { up = true, ...extra } = options;
  const link = await muxToPeer(role, extra);
  try {
    if (up) await handshake(link.tape, link.peer, link.mux);
    await body(link);
  } finally {
    link.mux.close();
  }
}

/** The client's first channel: REQ F0 FF, the peer's ACK F1 FF, then writable. */
async function openChannel({ mux, peer, tape }: Link): Promise<ChannelUser> {
  const a = new ChannelUser(mux);
  equal(await tape.next(2, "REQ"), "f0 ff", "REQ");
  peer.send(bytes("f1 ff"));
  check(await until(() => a.writable > 0), "open");
  return a;
}

/** The peer answers the mux's first PING (F9 F6 t, read off the tape) with a PONG; the mux sends PONGACK, up. */
async function handshake(tape: Tape, peer: { send(b: Uint8Array): void }, mux: Mux): Promise<void> {
  const ping = await tape.bytes(10, "RESET_TRANSPORT + PING");
  const pong = new Uint8Array(17);
  pong[0] = 0xf7;
  pong.set(ping.subarray(2, 10), 1);
  pong.set(bytes("00 00 00 00 00 00 00 2a"), 9);
  peer.send(pong);
  await tape.bytes(9, "PONGACK");
  check(await until(() => mux.up), "the link did not come up");
}

async function main(): Promise<void> {
  // lws_transport_mux_pending: a PING is due at start; the link is DOWN, so RESET_TRANSPORT goes first
  await runAsync("golden-reset-and-ping-at-start-F9-F6-lws_transport_mux_pending", async () => {
    await onLink("client", { up: false }, async ({ mux, tape }) => {
      const before = Time.ticks * 1000;
      const b = await tape.bytes(10, "F9 F6 t[8]");
      equal(b[0], 0xf9, "RESET_TRANSPORT first, while the link is down");
      equal(b[1], 0xf6, "PING");
      const t = u64(b, 2);
      check(t >= before - 1000000 && t <= Time.ticks * 1000, `PING carries the monotonic µs: ${t} vs ${before}`);
      equal(mux.up, false, "down until the round completes");
    });
  });

  // lws_transport_mux_rx_parse LWSTMCPAR_T64_1 (PING) -> lws_transport_mux_pending: F7 echo[8] now[8]
  await runAsync("golden-pong-F7-echo-then-own-time-lws_transport_mux_pending", async () => {
    await onLink("client", { up: false }, async ({ mux, peer, tape }) => {
      await tape.bytes(10, "first ping");
      peer.send(bytes("f6 01 02 03 04 05 06 07 08"));
      const b = await tape.bytes(17, "PONG");
      equal(b[0], 0xf7, "PONG");
      equal(Array.from(b.subarray(1, 9)).join(","), "1,2,3,4,5,6,7,8", "the PING's time echoed");
      const t = u64(b, 9);
      check(t <= Time.ticks * 1000 && t > 0, "its own monotonic µs");
    });
  });

  // LWSTMCPAR_T64_2 (PONG matching our PING) -> PONGACK with the unix time, and the PING sender is OPERATIONAL
  await runAsync("golden-pongack-F8-unixtime-lws_transport_mux_pending-link-up", async () => {
    await onLink("client", { up: false }, async ({ mux, peer, tape }) => {
      const ping = await tape.bytes(10, "ping");
      const pong = new Uint8Array(17);
      pong[0] = 0xf7;
      pong.set(ping.subarray(2, 10), 1);
      peer.send(pong);
      const b = await tape.bytes(9, "PONGACK");
      equal(b[0], 0xf8, "PONGACK");
      const u = u64(b, 1);
      check(Math.abs(u - Date.now() * 1000) < 10000000, `unix time µs: ${u} vs ${Date.now() * 1000}`);
      check(await until(() => mux.up), "up after PONGACK");
      equal(mux.stats.linkUps, 1, "link ups");
    });
  });

  await runAsync("a-pong-with-the-wrong-echo-is-ignored", async () => {
    await onLink("client", { pongGraceMs: 300, downRetryMs: 5000, up: false }, async ({ mux, peer, tape }) => {
      await tape.bytes(10, "ping");
      peer.send(bytes("f7 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 02"));
      await sleep(150);
      equal(tape.pending, 0, "no PONGACK for a PONG that does not echo our PING");
      equal(mux.up, false, "still down");
    });
  });

  // The other side of the round: PONGACK received (LWSTMCPAR_T64_1) -> OPERATIONAL
  await runAsync("pongack-received-takes-the-link-up-lws_transport_mux_rx_parse", async () => {
    await onLink("proxy", { up: false }, async ({ mux, peer, tape }) => {
      await tape.bytes(10, "ping");
      peer.send(bytes("f6 00 00 00 00 00 00 00 07"));
      equal(await tape.next(9, "PONG head"), "f7 00 00 00 00 00 00 00 07", "PONG echoes");
      await tape.bytes(8, "PONG time");
      peer.send(bytes("f8 00 06 5c 00 00 00 00 00"));
      check(await until(() => mux.up), "up at PONGACK");
      check(mux.peerUnixTimeUs === 0x065c0000000000, `the peer's unix time kept: ${mux.peerUnixTimeUs}`);
    });
  });

  // lws_transport_mux_next_free: the client (no LWSTMINFO_SERVER) counts down from 255;
  // lws_transport_mux_pending LWSTMC_PENDING_CREATE_CHANNEL: F0 ch
  await runAsync("golden-channel-req-F0-ff-then-F0-fe-lws_transport_mux_pending", async () => {
    await onLink("client", { up: false }, async ({ mux, peer, tape }) => {
      const a = new ChannelUser(mux);
      await sleep(50);
      equal(tape.pending, 10, "no CHANNEL_REQ while the link is down (only the PING)");
      await handshake(tape, peer, mux);
      equal(await tape.next(2, "CHANNEL_REQ"), "f0 ff", "first channel");
      const b = new ChannelUser(mux);
      equal(await tape.next(2, "CHANNEL_REQ"), "f0 fe", "second channel");
      equal(a.ch!.state, 1, "AWAITING_CREATE_CHANNEL_ACK");
      // LWSTMCPAR_CHIDX_DONE, CHANNEL_ACK: open; LWSTMCPAR_PAY: payload to the channel
      peer.send(bytes("f1 ff"));
      check(await until(() => a.writable > 0), "no onWritable at CHANNEL_ACK");
      equal(a.ch!.state, LWSTMC_OPERATIONAL, "OPERATIONAL");
      // lws_transport_mux_write: F5 ch lenH lenL payload
      a.ch!.write(bytes("68 69"));
      equal(await tape.next(6, "MUX"), "f5 ff 00 02 68 69", "MUX frame");
      peer.send(bytes("f5 ff 00 03 61 62 63"));
      check(await until(() => a.got.length === 3), "rx");
      equal(a.text(), "abc", "payload");
      // a MUX frame split anywhere (the parser is byte at a time)
      const split = bytes("f5 ff 00 04 31 32 33 34");
      for (let i = 0; i < split.length; i++) {
        peer.send(split.subarray(i, i + 1));
        await sleep(5);
      }
      check(await until(() => a.got.length === 7), "split frame");
      equal(a.text(), "abc1234", "split payload");
      // F2 for a channel being opened: refused (the client retries later)
      peer.send(bytes("f2 fe"));
      check(await until(() => b.errors === 1), "NACK of a pending channel: onError");
      // our close: F2 ch (lws' FIN; lws never sends CHANNEL_CLOSE)
      a.ch!.write(bytes("7a"));
      a.ch!.close();
      equal(await tape.next(7, "last data then FIN"), "f5 ff 00 01 7a f2 ff", "queued bytes, then CHANNEL_NACK as FIN");
      equal(mux.channels, 0, "channels");
      equal(a.errors, 0, "no onError after our own close");
    });
  });

  // The proxy's side: LWSTMINFO_SERVER; CHANNEL_REQ -> PENDING_CREATE_CHANNEL_ACK -> F1 ch, the channel handed on
  await runAsync("golden-channel-ack-F1-lws_transport_mux_pending-PENDING_CREATE_CHANNEL_ACK", async () => {
    const opened: number[] = [];
    await onLink("proxy", {
      onChannel: (ch) => { opened.push(ch.index); ch.attach({}); },
    }, async ({ mux, peer, tape }) => {
      peer.send(bytes("f0 ff f0 fe"));
      equal(await tape.next(4, "CHANNEL_ACKs"), "f1 ff f1 fe", "ACKs");
      check(await until(() => opened.length === 2), "onChannel");
      equal(opened.join(","), "255,254", "channels handed to the proxy");
      peer.send(bytes("f0 ff"));
      await sleep(50);
      equal(tape.pending, 0, "CHANNEL_REQ for a channel in use: ignored (lws)");
      // a FIN from the client frees the index; the same index may be asked for again
      peer.send(bytes("f2 ff f0 ff"));
      equal(await tape.next(2, "ACK again"), "f1 ff", "index reused after its FIN");
    });
  });

  await runAsync("a-full-proxy-refuses-a-channel-with-F2", async () => {
    await onLink("proxy", { maxChannels: 1, onChannel: (ch) => { ch.attach({}); } }, async ({ mux, peer, tape }) => {
      peer.send(bytes("f0 ff f0 fe"));
      // lws_transport_mux_pending's order: PING, PONG, PONGACK, FINs, then the channels' control bytes
      equal(await tape.next(4, "NACK, ACK"), "f2 fe f1 ff", "the second refused (FINs go before channel control)");
      equal(mux.stats.refused, 1, "refused");
    });
  });

  // LWSTMCPAR_PLENL for an unknown channel: payload skipped, fin bit -> F2 ch; the link stays in step
  await runAsync("mux-for-an-unknown-channel-is-skipped-and-answered-F2", async () => {
    await onLink("client", {}, async ({ mux, peer, tape }) => {
      peer.send(bytes("f5 77 00 03 f6 f6 f6 f6 00 00 00 00 00 00 00 09"));
      // lws_transport_mux_pending's order: the PONG, then the FIN
      equal(await tape.next(9, "PONG head"), "f7 00 00 00 00 00 00 00 09", "the PING after the skipped payload");
      await tape.bytes(8, "PONG time");
      equal(await tape.next(2, "FIN"), "f2 77", "CHANNEL_NACK for the unknown channel");
      equal(mux.up, true, "still up");
      equal(mux.stats.unknownChannel, 1, "counted");
    });
  });

  await runAsync("channel-close-F3-is-answered-F4-and-ends-the-channel", async () => {
    await onLink("client", {}, async ({ mux, peer, tape }) => {
      const a = new ChannelUser(mux);
      equal(await tape.next(2, "REQ"), "f0 ff", "REQ");
      peer.send(bytes("f1 ff f5 ff 00 01 21 f3 ff"));
      equal(await tape.next(2, "CLOSE_ACK"), "f4 ff", "CHANNEL_CLOSE_ACK");
      check(await until(() => a.errors === 1), "the channel ended");
      equal(a.text(), "!", "the byte before the close was read first");
      peer.send(bytes("f4 10 f1 33 f2 44"));
      await sleep(50);
      equal(tape.pending, 0, "a stray CLOSE_ACK, ACK or NACK is ignored");
      equal(mux.up, true, "still up");
    });
  });

  // LWSTMCPAR_CMD, default: an unknown command takes the link DOWN (fail_transport); every channel ends; the
  // next PING goes behind RESET_TRANSPORT, and the link recovers with a new round
  await runAsync("unknown-command-resets-the-link-and-it-recovers", async () => {
    await onLink("client", {}, async ({ mux, peer, tape }) => {
      const a = await openChannel({ mux, peer, tape });
      peer.send(bytes("42 f6 00 00 00 00 00 00 00 01"));
      check(await until(() => !mux.up), "down");
      check(await until(() => a.errors === 1), "the channel ended with the link");
      equal(mux.stats.badCommands, 1, "bad commands");
      equal(await tape.next(2, "reset + ping"), "f9 f6", "RESET_TRANSPORT, PING (the PING that came with the bad byte was dropped)");
      const t = await tape.bytes(8, "ping time");
      const pong = new Uint8Array(17);
      pong[0] = 0xf7;
      pong.set(t, 1);
      peer.send(pong);
      equal(await tape.next(1, "PONGACK"), "f8", "PONGACK");
      await tape.bytes(8, "unix time");
      check(await until(() => mux.up), "up again");
      const b = new ChannelUser(mux);
      equal(await tape.next(2, "REQ"), "f0 fe", "a new channel (the cursor moves on)");
      b.ch!.close();
    });
  });

  await runAsync("reset-transport-F9-takes-the-receivers-link-down", async () => {
    await onLink("proxy", { onChannel: (ch) => { ch.attach({}); } }, async ({ mux, peer, tape }) => {
      peer.send(bytes("f0 ff"));
      equal(await tape.next(2, "ACK"), "f1 ff", "ACK");
      check(await until(() => mux.channels === 1), "one channel");
      peer.send(bytes("f9"));
      check(await until(() => !mux.up), "down");
      equal(mux.channels, 0, "channels destroyed");
      equal(await tape.next(2, "reset + ping"), "f9 f6", "probing again");
    });
  });

  // sul_ping_cb: no PONG within the grace -> DOWN; probed again after 2 s (here downRetryMs)
  await runAsync("no-pong-within-the-grace-takes-the-link-down", async () => {
    await onLink("client", { pingIntervalMs: 200, pongGraceMs: 150, downRetryMs: 300 }, async ({ mux, peer, tape }) => {
      const t0 = Time.ticks;
      equal(await tape.next(1, "periodic ping"), "f6", "a PING with no RESET_TRANSPORT while up");
      await tape.bytes(8, "time");
      check(await until(() => !mux.up, 1000), "still up without a PONG");
      const dt = Time.ticks - t0;
      check(dt >= 100 && dt < 700, `down after the grace: ${dt} ms`);
      equal(await tape.next(2, "probe", 2000), "f9 f6", "the probe after downRetryMs");
    });
  });

  await runAsync("the-link-socket-closing-ends-every-channel", async () => {
    await onLink("client", {}, async ({ mux, peer, tape }) => {
      const a = await openChannel({ mux, peer, tape });
      peer.close();
      check(await until(() => a.errors === 1), "the channel ended");
      equal(mux.up, false, "down");
    });
  });

  await runAsync("random-bytes-never-throw", async () => {
    await onLink("proxy", { onChannel: (ch) => { ch.attach({ onReadable: () => ch.read() }); } }, async ({ mux, peer, tape }) => {
      let x = 12345;
      const b = new Uint8Array(256);
      for (let round = 0; round < 40; round++) {
        for (let i = 0; i < b.length; i++) {
          x ^= x << 13; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
          b[i] = (x & 7) < 5 ? 0xf0 + (x >>> 8) % 10 : x >>> 16 & 0xff;
        }
        peer.send(b);
        await sleep(5);
      }
      await sleep(200);
      check(mux.stats.bytesIn >= 40 * 256, `bytes in ${mux.stats.bytesIn}`);
      trace(`fuzz: ${JSON.stringify(mux.stats)}\n`);
    });
  });

  fake.close();
  trace("done\n");
}

main().catch((e) => trace(`not ok main ${String(e)}\ndone\n`));
