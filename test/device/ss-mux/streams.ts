// Secure Streams through the transport mux (ss/mux) in XS: our client (ss/sspc, `proxy: { mux }`) and our proxy
// (ss/proxy, `link`) on the two ends of one link, a TCP connection standing in for the UART, the streams' servers
// real ones on 127.0.0.1. Raw echo, h1 GET with metadata both ways, mqtt through aedes (the same states and rx as
// on a local context), six streams at once over the one link, every channel closed at the end, a garbage byte on
// the link (both ends reset it, the stream sees DISCONNECTED and comes back), and a channel whose reader is slow
// (it holds the link, not memory). test/ss-mux.test.js starts the servers and gives the policy and ports in
// mc/config. Reports "ok <name>" / "not ok <name> <why>", then "done".
import config from "mc/config";
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import { createContext, LWSSSSRET_OK, LWSSSSRET_DESTROY_ME, LWSSSCS_CREATING, LWSSSCS_DISCONNECTED } from "ss";
import { parsePolicy } from "ss/policy";
import { startProxy, type Proxy } from "ss/proxy";
import { createProxiedContext, type AppContext, type Handle } from "ss/sspc";
import { Mux } from "ss/mux";
import { Recorder, Pattern, runAsync, check, equal, sleep } from "../ss/support";
import { echoApp, twoRoundsApp, rawEchoScenario, h1GetScenario, mqttAsLocalScenario } from "../ss-proxy/support";
import { NoisyTCP, ChannelUser, echoChannels, until } from "./support";

const cfg = config as unknown as { policy: string; linkPort: number; linkPort2: number };
const policy = parsePolicy(cfg.policy, { log: () => {}, limits: { maxStreams: 32 } });
const log: string[] = [];
const logTo = (line: string) => { log.push(line); trace(`${line}\n`); };

async function main(): Promise<void> {
  const local = createContext({ policy, log: logTo });
  // The proxy's end of the "UART": the link connection, accepted here and given to startProxy as its link.
  let proxy: Proxy | undefined;
  let links = 0;
  const listener = new Listener({
    port: cfg.linkPort,
    address: "127.0.0.1",
    onReadable: (count: number) => {
      for (let i = 0; i < count; i++) {
        const from = listener.read();
        if (!from) break;
        links++;
        proxy?.close();
        proxy = startProxy({ context: local, link: { io: TCP, from }, log: logTo, maxClients: 8 });
      }
    },
  }) as Listener & { close(): void };
  const mux = new Mux({ role: "client", link: { io: NoisyTCP, address: "127.0.0.1", port: cfg.linkPort }, log: logTo, reconnectMs: 500 });
  const ctx = createProxiedContext({ proxy: { mux }, log: logTo, retryMs: 200 });
  await until(() => mux.up && proxy !== undefined && proxy.mux!.up);

  await runAsync("mux-raw-echo", () => {
    check(mux.up, "the link never came up");
    return rawEchoScenario(ctx, "mux");
  });
  await runAsync("mux-h1-get-with-metadata-both-ways", () => h1GetScenario(ctx, "mux"));
  await runAsync("mux-mqtt-publish-and-subscribe-as-local", () => mqttAsLocalScenario(ctx, local, "through the mux"));

  await runAsync("mux-many-streams-over-one-link", async () => {
    const p = proxy!;
    const accepted = p.stats.accepted;
    const opened = p.mux!.stats.opened;
    const rs: Recorder[] = [];
    for (let i = 0; i < 6; i++) rs.push(echoApp(ctx, "echo", 20000 + i * 1000));
    for (const r of rs) await r.until("DESTROYING", 30000);
    for (let i = 0; i < 6; i++) {
      equal(rs[i]!.rxBytes, 20000 + i * 1000, `stream ${i} bytes`);
      equal(rs[i]!.badByte, -1, `stream ${i} first wrong byte`);
      equal(rs[i]!.sequence(), "CREATING CONNECTING CONNECTED DISCONNECTED DESTROYING", `stream ${i} states`);
    }
    equal(p.stats.accepted - accepted, 6, "clients at the proxy (one per stream)");
    equal(p.mux!.stats.opened - opened, 6, "channels opened");
    equal(links, 1, "links (the one mux link)");
    trace(`mux stats: client ${JSON.stringify(mux.stats)} proxy ${JSON.stringify(p.mux!.stats)}\n`);
  });

  await runAsync("mux-channels-opened-and-closed", async () => {
    const p = proxy!;
    check(await until(() => mux.channels === 0 && p.mux!.channels === 0 && p.clients === 0),
      `channels left: client ${mux.channels}, proxy ${p.mux!.channels}, clients ${p.clients}`);
    equal(ctx.streams, 0, "client streams");
    equal(mux.stats.badCommands + p.mux!.stats.badCommands, 0, "bad commands");
    equal(mux.stats.unknownChannel, 0, "data for unknown channels at the client");
  });

  await runAsync("mux-link-reset-by-a-garbage-byte-then-recovery", async () => {
    const p = proxy!;
    // line noise on the client -> proxy direction, between frames
    const { r } = twoRoundsApp(ctx, () => NoisyTCP.noise(0x42));
    await r.until("DESTROYING", 15000);
    trace(`states mux reset: ${r.sequence()}\n`);
    equal(p.mux!.stats.badCommands, 1, "the proxy's mux saw the bad command");
    check(mux.stats.linkDowns >= 1, "the client's link went down (RESET_TRANSPORT)");
    equal(r.sequence(), "CREATING CONNECTING CONNECTED DISCONNECTED CONNECTING CONNECTED DISCONNECTED DESTROYING", "states");
    equal(r.rxBytes, 200, "bytes");
    equal(r.badByte, -1, "first wrong byte");
    check(mux.up && p.mux!.up, "the link is up again");
    equal(links, 1, "the same link connection");
  });

  await runAsync("mux-slow-reader-holds-the-link-not-memory", async () => {
    let server: Mux | undefined;
    const l2 = new Listener({
      port: cfg.linkPort2,
      address: "127.0.0.1",
      onReadable: () => {
        const from = l2.read();
        if (from) server = echoChannels({ link: { io: TCP, from }, log: logTo });
      },
    }) as Listener & { close(): void };
    const m2 = new Mux({ role: "client", link: { io: TCP, address: "127.0.0.1", port: cfg.linkPort2 }, log: logTo, inSize: 256 });
    try {
      check(await until(() => m2.up), "second link never up");
      const a = new ChannelUser(m2);
      const b = new ChannelUser(m2);
      a.reading = false;
      check(await until(() => a.writable > 0 && b.writable > 0), "channels not open");
      const total = 6000;
      const src = new Pattern(7);
      const chunk = new Uint8Array(512);
      let sent = 0;
      for (let i = 0; i < 400 && sent < total; i++) {
        let n = a.ch!.tx.free;
        if (n > chunk.length) n = chunk.length;
        if (n > total - sent) n = total - sent;
        if (n > 0) {
          src.fill(chunk, n);
          a.ch!.write(chunk.subarray(0, n));
          sent += n;
        }
        await sleep(5);
      }
      equal(sent, total, "bytes the slow channel could send");
      check(await until(() => a.ch!.rx.free === 0), "the slow channel's rx ring never filled");
      b.ch!.write(Uint8Array.of(0x70, 0x69, 0x6e, 0x67));
      await sleep(300);
      trace(`slow reader: a holds ${a.ch!.rx.available}, b got ${b.got.length}, stalls ${m2.stats.stalls}\n`);
      equal(b.got.length, 0, "the other channel waits behind the slow one (head-of-line)");
      check(m2.stats.stalls > 0, "the mux stopped reading the link");
      equal(a.ch!.rx.available, a.ch!.rx.capacity, "the slow channel holds no more than its ring");
      a.reading = true;
      a.drain();
      check(await until(() => a.got.length === total && b.got.length === 4, 5000), `after reading: a ${a.got.length}, b ${b.got.length}`);
      equal(b.text(), "ping", "the other channel's echo");
      const check2 = new Pattern(7);
      let bad = -1;
      for (let i = 0; i < total; i++) if (a.got[i] !== check2.next() && bad < 0) bad = i;
      equal(bad, -1, "the slow channel's first wrong byte");
      a.ch!.close();
      b.ch!.close();
      check(await until(() => server !== undefined && server.channels === 0), "the channels were not closed at the far end");
    } finally {
      m2.close();
      server?.close();
      l2.close();
    }
  });

  await sleep(100);
  ctx.destroy();
  proxy?.close();
  mux.close();
  listener.close();
  await sleep(100);
  trace(`streams left ${local.streams}\n`);
  trace("done\n");
}

main().catch((e) => trace(`not ok main ${String(e)}\ndone\n`));
