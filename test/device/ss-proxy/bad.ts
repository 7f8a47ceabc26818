// Bad input at either end of a serialized Secure Streams link, in XS: each refusal closes only that link with its
// reason logged, while a bystander stream through the same proxy keeps echoing; 10,000 random frames at the proxy
// leave it serving; a client that does not read is held by flow control (its fixed output ring, then the onward
// stream paused), gets every byte once it reads, and nothing else is
// held for it. test/ss-proxy-bad.test.js starts the echo server and gives the policy and ports in mc/config.
import config from "mc/config";
import TCP from "embedded:io/socket/tcp";
import { createContext, LWSSSSRET_OK, LWSSSCS_CREATING } from "ss";
import { parsePolicy } from "ss/policy";
import { startProxy, type Proxy } from "ss/proxy";
import { createProxiedContext, type Handle, type ProxiedContext } from "ss/sspc";
import { writeStreamType, writePayloadHeader, PAYLOAD_AT } from "ss/serial";
import { Recorder, Pattern, runAsync, check, equal, sleep } from "../ss/support";
import { hex as bytes } from "../common/check";
import { FakeProxy, XorShift32, rawLink, opened, closedByPeer } from "./support";

const cfg = config as unknown as { policy: string; proxyPort: number; fakePort: number; unixPath: string };
const policy = parsePolicy(cfg.policy, { log: () => {}, limits: { maxStreams: 32 } });
const log: string[] = [];
const logTo = (line: string) => { log.push(line); trace(`${line}\n`); };

function logged(from: number, text: string): number {
  let n = 0;
  for (let i = from; i < log.length; i++) if (log[i]!.indexOf(text) >= 0) n++;
  return n;
}

/** A proxied echo stream that stays connected through every case: it must never notice the others' trouble. */
class Bystander {
  readonly r = new Recorder(new Pattern());
  readonly #source = new Pattern();
  #want = 0;
  #sent = 0;
  #h: Handle<Recorder> | undefined;
  constructor(ctx: ProxiedContext) {
    this.#h = ctx.create<Recorder>({
      streamtype: "echo",
      state: (h, _s, state) => { h.opaque.state(state); return state === LWSSSCS_CREATING ? h.clientConnect() : LWSSSSRET_OK; },
      tx: (h, _o, buf, out) => {
        const n = out.len < this.#want - this.#sent ? out.len : this.#want - this.#sent;
        this.#source.fill(buf, n);
        this.#sent += n;
        out.len = n;
        if (this.#sent < this.#want) h.requestTx();
        return LWSSSSRET_OK;
      },
      rx: (h, buf, len, flags) => { h.opaque.received(buf, len, flags); return LWSSSSRET_OK; },
    }, this.r);
  }
  /** Echo `n` more bytes; throws unless they all come back right and the states never moved past CONNECTED. */
  async echo(n: number): Promise<void> {
    this.#want += n;
    this.#h!.requestTx();
    for (let i = 0; i < 500 && this.r.rxBytes < this.#want; i++) await sleep(10);
    equal(this.r.rxBytes, this.#want, "bystander bytes");
    equal(this.r.badByte, -1, "bystander first wrong byte");
    equal(this.r.sequence(), "CREATING CONNECTING CONNECTED", "bystander states");
  }
  destroy(): void { this.#h?.destroy(); }
}

async function proxyRefuses(proxy: Proxy, by: Bystander, name: string, frames: string, reason: string): Promise<void> {
  await runAsync(name, async () => {
    const from = log.length, bad = proxy.stats.closedBad, clients = proxy.clients;
    const conn = rawLink(proxy.port);
    try {
      check(await opened(conn), "no link to the proxy");
      conn.write(bytes(frames));
      check(await closedByPeer(conn, 2000), "the proxy kept the link open");
    } finally {
      conn.close();
    }
    equal(proxy.stats.closedBad - bad, 1, "links closed for bad input");
    equal(logged(from, `closed: bad input: ${reason}`), 1, `log lines "closed: bad input: ${reason}"`);
    await sleep(50);
    equal(proxy.clients, clients, "links open at the proxy (the bad one gone, the bystander kept)");
    await by.echo(3000);
  });
}

async function clientRefuses(fake: FakeProxy, name: string, before: string, after: string, reason: string,
  maxMetadata = 16): Promise<void> {
  await runAsync(name, async () => {
    const from = log.length;
    const first = fake.peers.length;
    const ctx = createProxiedContext({ proxy: { port: cfg.fakePort }, log: logTo, retryMs: 100, maxMetadata });
    const r = new Recorder();
    ctx.create<Recorder>({
      streamtype: "echo",
      state(h, _s, state) { h.opaque.state(state); return LWSSSSRET_OK; },
    }, r);
    try {
      const p = await fake.link(first);
      check(p !== undefined, "the client never connected");
      check(await p!.until(15), "no STREAMTYPE");
      if (before) p!.send(bytes(before));
      await sleep(50);
      p!.send(bytes(after));
      for (let i = 0; i < 100 && !p!.closed; i++) await sleep(10);
      check(p!.closed, "the client kept the link open");
      equal(logged(from, `link closed: bad input from the proxy: ${reason}`), 1, `log lines "${reason}"`);
      const again = await fake.link(first + 1, 2000);
      check(again !== undefined && (await again.until(15)), "the client did not come back with a new STREAMTYPE");
      check(r.sequence().indexOf("CONNECTED") < 0, `states ${r.sequence()}`);
    } finally {
      ctx.destroy();
    }
  });
}

async function fuzz(proxy: Proxy, by: Bystander): Promise<void> {
  await runAsync("10000-random-frames-leave-the-proxy-serving", async () => {
    const bad = proxy.stats.closedBad;
    const rnd = new XorShift32(0x5eed1234);
    const b = new Uint8Array(4096);
    const seen = new Uint8Array(256);
    let frames = 0, conns = 0;
    while (frames < 10000) {
      const conn = rawLink(proxy.port);
      conns++;
      if (!(await opened(conn))) { conn.close(); continue; }
      // a valid STREAMTYPE half the time (a known or an unknown type), then random frames: lws' prefixes and any
      // byte, lengths short, long, and beyond any buffer, random bodies
      let at = 0;
      if (rnd.next() & 1) at = writeStreamType(b, 0, 1, 0, 500000000, rnd.next() & 2 ? "echo" : "nosuch");
      for (let k = 0; k < 50; k++) {
        const kind = rnd.below(4);
        const prefix = kind === 0 ? rnd.next() & 0xff : 0xaa + rnd.below(9);
        const len = kind === 1 ? rnd.next() & 0xffff : rnd.below(40);
        const body = len < 60 ? len : 60;
        if (at + 3 + body > b.length) break;
        b[at] = prefix; b[at + 1] = len >> 8; b[at + 2] = len & 0xff;
        for (let i = 0; i < body; i++) b[at + 3 + i] = rnd.next() & 0xff;
        seen[prefix] = 1;
        at += 3 + body;
        frames++;
      }
      try { conn.write(b, 0, at < conn.writable ? at : conn.writable); } catch { /* closed by the proxy */ }
      await conn.wait(5);
      conn.close();
    }
    await sleep(300);
    let prefixes = 0;
    for (let i = 0; i < 256; i++) prefixes += seen[i]!;
    trace(`fuzz: ${frames} frames on ${conns} connections, ${prefixes} distinct prefixes; closed for bad input ${proxy.stats.closedBad - bad}; clients left ${proxy.clients}\n`);
    check(frames >= 10000, "frames sent");
    check(prefixes > 200, `distinct prefixes ${prefixes} (the generator must cover the byte range)`);
    check(proxy.stats.closedBad - bad > conns / 2, "most fuzz links were refused as bad input");
    equal(proxy.clients, 1, "links open at the proxy after the fuzz (the bystander)");
    check(proxy.listening, "the proxy stopped listening");
    await by.echo(5000);
  });
}

// Over the simulator's unix socket: its kernel buffer is a fixed ~200 KB, where a loopback TCP socket's grows to
// tens of MB before the proxy's socket pushes back (a board's lwip send buffer is a few KB). What is tested is the
// proxy's own bound: its per-client output ring, then rx flow control on the onward stream (as lws' proxy above
// proxy_buflen_rxflow_on_above), which pushes the server back and, through it, the client's own writes.
async function slowClient(local: ReturnType<typeof createContext>): Promise<void> {
  await runAsync("a-client-that-does-not-read-is-held-by-flow-control-then-gets-every-byte-and-others-are-untouched", async () => {
    const proxy = startProxy({ context: local, path: cfg.unixPath, log: logTo });
    const ctx = createProxiedContext({ proxy: { path: cfg.unixPath }, log: logTo, retryMs: 200 });
    const by = new Bystander(ctx);
    try {
      await by.r.until("CONNECTED");
      let closed = false, writable = 0, sent = 0, reading = false, echoed = 0, pending = 0;
      const frame = new Uint8Array(PAYLOAD_AT + 1400);
      writePayloadHeader(frame, 0, 0xad, 3, 0, 0, 1400);
      // what comes back, once the client reads: RX_PAYLOAD frames, their payload bytes counted
      const inBuf = new Uint8Array(4 * 1024);
      let inEnd = 0;
      const drain = (s: any): void => {
        for (;;) {
          const n = Math.min(pending, inBuf.length - inEnd);
          if (n > 0) {
            s.read(inBuf.subarray(inEnd, inEnd + n));
            pending -= n;
            inEnd += n;
          }
          let at = 0;
          while (inEnd - at >= 3) {
            const len = 3 + ((inBuf[at + 1]! << 8) | inBuf[at + 2]!);
            if (inEnd - at < len) break;
            if (inBuf[at] === 0x55) echoed += len - PAYLOAD_AT;
            at += len;
          }
          inBuf.copyWithin(0, at, inEnd);
          inEnd -= at;
          if (n === 0) return;
        }
      };
      // a raw socket that writes and, for now, never reads
      const socket: any = new TCP({
        path: cfg.unixPath,
        onReadable: (count: number) => { pending = count; if (reading) drain(socket); },
        onWritable: (count: number) => { writable = count; },
        onError: () => { closed = true; },
      } as any);
      for (let i = 0; i < 200 && writable === 0; i++) await sleep(5);
      const head = new Uint8Array(32);
      const n = writeStreamType(head, 0, 1, 0, 500000000, "echo");
      head.set([0xab, 0, 0], n);
      socket.write(head.subarray(0, n + 3));
      writable -= n + 3;
      const t0 = Date.now();
      const echoing = by.echo(20000);
      // write until pushed back: nothing taken for 1 s
      let lastTaken = Date.now();
      while (!closed && sent < 64 * 1024 * 1024 && Date.now() - lastTaken < 1000 && Date.now() - t0 < 30000) {
        if (writable >= frame.length) {
          socket.write(frame);
          writable -= frame.length;
          sent += 1400;
          lastTaken = Date.now();
        } else await sleep(1);
      }
      await echoing;
      trace(`slow client: pushed back after ${sent} payload bytes in ${Date.now() - t0} ms; onward stream paused ${proxy.stats.rxPaused} times\n`);
      check(!closed && proxy.clients === 2, "the proxy closed the client that does not read");
      check(Date.now() - lastTaken >= 1000, `the client was never pushed back (${sent} bytes sent)`);
      check(proxy.stats.rxPaused >= 1, "the onward stream was never paused");
      equal(proxy.stats.closedSlow, 0, "links closed as too slow");
      await by.echo(3000);
      // now it reads: every byte it sent comes back
      reading = true;
      drain(socket);
      for (let i = 0; i < 1500 && echoed < sent && !closed; i++) await sleep(10);
      trace(`slow client: ${echoed} of ${sent} bytes echoed once it read\n`);
      equal(echoed, sent, "bytes echoed back to the client once it read");
      try { socket.close(); } catch { /* closed */ }
    } finally {
      by.destroy();
      ctx.destroy();
      proxy.close();
    }
  });
}

async function main(): Promise<void> {
  const local = createContext({ policy, log: logTo });
  const proxy = startProxy({ context: local, port: cfg.proxyPort, log: logTo });
  const ctx = createProxiedContext({ proxy: { port: cfg.proxyPort }, log: logTo, retryMs: 200 });
  const by = new Bystander(ctx);
  await by.r.until("CONNECTED");

  await proxyRefuses(proxy, by, "proxy-closes-on-an-unknown-prefix", "42 00 00", "unknown prefix (prefix 0x42)");
  await proxyRefuses(proxy, by, "proxy-closes-on-a-length-beyond-the-buffer",
    "aa 00 0d 01 00 00 00 00 1d cd 65 00 65 63 68 6f   ad ff ff 00 00 00 03", "a length beyond the buffer (prefix 0xad)");
  await proxyRefuses(proxy, by, "proxy-closes-on-metadata-for-an-unknown-name",
    "aa 00 0c 01 00 00 00 00 1d cd 65 00 67 65 74   ae 00 07 06 6e 6f 73 75 63 68", 'metadata for an unknown name "nosuch"');
  await proxyRefuses(proxy, by, "proxy-closes-on-a-payload-before-the-create-result",
    "ad 00 14 00 00 00 03 00 00 00 00 00 00 00 00 00 00 00 00 41 42 43 44", "frame 0xad before the create result");

  const fake = new FakeProxy(cfg.fakePort);
  const ok = "56 00 0a 00 00 00 00 00 2c 65 63 68 6f   57 00 05 01 00 00 00 00";
  await clientRefuses(fake, "client-closes-on-an-unknown-prefix", ok, "aa 00 00", "unknown prefix (prefix 0xaa)");
  await clientRefuses(fake, "client-closes-on-a-length-beyond-the-buffer", ok, "55 ff ff 00 00 00 00",
    "a length beyond the buffer (prefix 0x55)");
  await clientRefuses(fake, "client-closes-on-a-metadata-name-longer-than-its-frame", ok, "59 00 03 09 61 62",
    "a metadata name longer than its frame");
  await clientRefuses(fake, "client-closes-on-metadata-for-an-unknown-name-beyond-its-table", ok,
    "59 00 03 02 61 61  59 00 03 02 62 62  59 00 03 02 63 63", 'metadata for an unknown name "cc"', 2);
  await clientRefuses(fake, "client-closes-on-a-payload-before-the-create-result", "",
    "55 00 14 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 41 42 43 44", "frame 0x55 before the create result");
  fake.close();

  await fuzz(proxy, by);
  await slowClient(local);

  by.destroy();
  await sleep(100);
  proxy.close();
  ctx.destroy();
  await sleep(100);
  trace(`streams left ${local.streams}\n`);
  trace("done\n");
}

main().catch((e) => trace(`not ok main ${String(e)}\ndone\n`));
