// Device-side cases for ministream/tunnel's API and table, two tunnels joined in memory (./ministream/pair) and
// services that the test drives by hand (FakeService): bounds (maxStreams, maxAccepted), timeouts, late and failed
// services, ids, waits, close draining the tx ring, a link lost. One "ok <name>" / "not ok <name> <why>" per case.
import Ring from "ring";
import Timer from "timer";
import { Tunnel, type TunnelOptions } from "ministream/tunnel";
import type { MiniStream } from "ministream/stream";
import { Waiters, type Connection, type WaitFor, type WaitResult } from "ministream/connection";
import { isValidId } from "ministream/protocol";
import {
  MS_BAD_ARGUMENT, MS_TABLE_FULL, MS_LINK_LOST, MS_REFUSED, MS_TIMEOUT, MS_CLOSED,
} from "ministream/errors";
import { check, equal, throwsCode, reportAsync } from "./ministream/check";
import { join } from "./ministream/pair";

/** A service connection the test opens, fails, feeds and inspects. */
class FakeService implements Connection {
  static all: FakeService[] = [];
  state = "connecting";
  error: Error | undefined;
  closed = false;
  readonly received = new Ring(65536);
  readonly #give = new Ring(65536);
  readonly #waiters = new Waiters();
  readonly writable = 65536;
  readonly pending = 0;
  constructor() { FakeService.all.push(this); }
  read(into: Uint8Array, offset = 0, length = into.byteLength - offset): number {
    const n = this.#give.read(into, offset, length);
    if (n === 0 && this.state === "closed") throw new Error("closed");
    return n;
  }
  write(bytes: Uint8Array, offset = 0, length = bytes.byteLength - offset): number {
    if (this.closed) throw new Error("closed");
    return this.received.write(bytes, offset, length);
  }
  wait(timeoutMs: number, until: WaitFor = "any"): Promise<WaitResult> {
    let now: WaitResult | undefined;
    if (until !== "writable" && this.#give.available > 0) now = "readable";
    else if (until === "writable" && this.state === "open") now = "writable";
    else if (this.state === "closed" || this.state === "failed") now = "state";
    return this.#waiters.add(timeoutMs, until, now);
  }
  close(): void {
    this.closed = true;
    if (this.state !== "failed") this.state = "closed";
    this.#waiters.wake("state");
  }
  up(): void { this.state = "open"; this.#waiters.wake("state"); }
  fail(): void { this.state = "failed"; this.error = new Error("refused"); this.#waiters.wake("state"); }
  give(bytes: Uint8Array): void { this.#give.write(bytes); this.#waiters.wake("readable"); }
  /** The service's end closes (after what it gave is read). */
  end(): void { this.state = "closed"; this.#waiters.wake("state"); }
}

const sleep = (ms: number) => new Promise<void>((resolve) => Timer.set(() => resolve(), ms));

async function until(what: string, ms: number, done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 5) {
    if (waited >= ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const key = new Uint8Array([1, 2, 3, 4]);

/** A client tunnel joined to a server tunnel whose service is a FakeService per SYN. */
function pair(client: TunnelOptions = {}, server: TunnelOptions = {}): { c: Tunnel; s: Tunnel } {
  const s = new Tunnel({ service: () => new FakeService(), connectTimeout: 2000, tag: "server", ...server });
  const c = new Tunnel({ key, connectTimeout: 2000, tag: "client", ...client });
  join(c, s);
  return { c, s };
}

function lastService(): FakeService {
  return FakeService.all[FakeService.all.length - 1]!;
}

function code(stream: MiniStream): string | undefined {
  return stream.error?.code;
}

async function main(): Promise<void> {
  await reportAsync("open-without-a-link-is-ms-link-lost", async () => {
    throwsCode(MS_LINK_LOST, () => new Tunnel({ key }).open(), "open");
  });

  await reportAsync("bad-options-are-ms-bad-argument", async () => {
    throwsCode(MS_BAD_ARGUMENT, () => new Tunnel({ maxStreams: 0 }), "maxStreams 0");
    throwsCode(MS_BAD_ARGUMENT, () => new Tunnel({ maxStreams: 256 }), "maxStreams 256");
    throwsCode(MS_BAD_ARGUMENT, () => new Tunnel({ rxSize: 1024 }), "rxSize below the initial window");
    throwsCode(MS_BAD_ARGUMENT, () => new Tunnel({ key: new Uint8Array(0) }), "empty key");
    throwsCode(MS_BAD_ARGUMENT, () => new Tunnel({ key: new Uint8Array(600) }), "key past maxKey");
    throwsCode(MS_BAD_ARGUMENT, () => new Tunnel({ service: 5 as never }), "service not a function");
    throwsCode(MS_BAD_ARGUMENT, () => new Tunnel({ linkRxSize: 100 }), "link ring too small for a SYN");
    const { c } = pair();
    throwsCode(MS_BAD_ARGUMENT, () => c.open({ key: new Uint8Array(0) }), "open with an empty key");
    throwsCode(MS_BAD_ARGUMENT, () => c.open({ txSize: 10 }), "open with a tiny tx ring");
  });

  await reportAsync("open-past-max-streams-is-ms-table-full", async () => {
    const { c } = pair({ maxStreams: 2 });
    const a = c.open(), b = c.open();
    throwsCode(MS_TABLE_FULL, () => c.open(), "third open");
    equal(c.openStreams, 2, "open streams");
    a.close();
    b.close();
    equal(c.openStreams, 0, "slots free after close before the ACK");
    c.open().close();
  });

  await reportAsync("syn-past-max-accepted-is-refused-with-close", async () => {
    const { c, s } = pair({}, { maxAccepted: 1 });
    const a = c.open(), b = c.open();
    await until("the second SYN's answer", 1000, () => b.state === "failed");
    equal(code(b), MS_REFUSED, "second stream");
    equal(a.state, "connecting", "the first still waits for its service");
    equal(s.acceptedStreams, 1, "accepted");
    lastService().up();
    await until("the first ACK", 1000, () => a.state === "open");
    a.close();
  });

  await reportAsync("service-up-late-is-acked-then-carries-bytes-both-ways", async () => {
    const { c } = pair();
    const a = c.open();
    const service = lastService();
    equal(a.write(new Uint8Array([9, 8, 7])), 3, "written before the ACK");
    await sleep(50);
    equal(a.state, "connecting", "no ACK while the service connects");
    service.up();
    await until("the ACK", 1000, () => a.state === "open");
    check(isValidId(a.serverId), "a server id");
    await until("the service to get the bytes", 1000, () => service.received.available === 3);
    service.give(new Uint8Array([1, 2]));
    await until("the answer", 1000, () => a.readable === 2);
    a.close();
    await until("the service closed", 1000, () => service.closed);
  });

  await reportAsync("service-failing-is-ms-refused", async () => {
    const { c, s } = pair();
    const a = c.open();
    lastService().fail();
    await until("the refusal", 1000, () => a.state === "failed");
    equal(code(a), MS_REFUSED, "code");
    equal(s.acceptedStreams, 0, "server slot free");
  });

  await reportAsync("no-ack-within-connect-timeout-is-ms-timeout", async () => {
    const { c } = pair({ connectTimeout: 100 });
    const a = c.open();
    await until("the timeout", 1000, () => a.state === "failed");
    equal(code(a), MS_TIMEOUT, "code");
    equal(c.openStreams, 0, "slot free");
  });

  await reportAsync("a-stream-closed-before-its-ack-gets-the-late-server-stream-closed", async () => {
    const { c, s } = pair();
    const a = c.open();
    const service = lastService();
    a.close();
    equal(a.state, "closed", "closed at once");
    service.up(); // the server ACKs a stream the client has given up: the client answers with a Close
    await until("the server stream closed", 1000, () => service.closed && s.acceptedStreams === 0);
  });

  await reportAsync("service-end-drains-then-closes-the-stream", async () => {
    const { c } = pair();
    const a = c.open();
    const service = lastService();
    service.up();
    const data = new Uint8Array(5000);
    for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
    service.give(data);
    service.end();
    const into = new Uint8Array(8192);
    let got = 0;
    let end = "";
    for (;;) {
      try {
        const n = a.read(into, got);
        got += n;
        if (n === 0) await a.wait(1000, "readable");
      } catch (e) {
        end = (e as { code: string }).code;
        break;
      }
    }
    equal(got, 5000, "every byte before the Close");
    for (let i = 0; i < got; i++) if (into[i] !== (i & 0xff)) throw new Error(`byte ${i}`);
    equal(end, MS_CLOSED, "then MS_CLOSED");
    check(a.peerClosed, "closed by the peer");
  });

  await reportAsync("close-sends-what-the-tx-ring-holds-first", async () => {
    const { c } = pair({ txSize: 8192 });
    const a = c.open();
    const service = lastService();
    service.up();
    await until("open", 1000, () => a.state === "open");
    const data = new Uint8Array(6000).fill(0x5a);
    equal(a.write(data), 6000, "queued (more than one window)");
    a.close();
    equal(a.state, "closing", "closing while its bytes go out");
    throwsCode(MS_CLOSED, () => a.write(data), "write after close");
    await until("the service got all and closed", 2000, () => service.closed);
    equal(service.received.available, 6000, "bytes the service got");
    equal(a.state, "closed", "closed once the Close went out");
  });

  await reportAsync("link-lost-fails-every-stream-and-closes-their-services", async () => {
    const { c, s } = pair();
    const a = c.open(), b = c.open();
    const services = FakeService.all.slice(-2);
    for (const x of services) x.up();
    await until("both open", 1000, () => a.state === "open" && b.state === "open");
    c.linkLost("test");
    s.linkLost("test");
    equal(code(a), MS_LINK_LOST, "a");
    equal(code(b), MS_LINK_LOST, "b");
    equal(c.openStreams, 0, "client slots");
    await until("services closed", 1000, () => services.every((x) => x.closed));
    equal(s.acceptedStreams, 0, "server slots");
    throwsCode(MS_LINK_LOST, () => c.open(), "open after the link is lost");
  });

  await reportAsync("ids-skip-000000-and-live-ids", async () => {
    const ids = [0, 5, 5, 0x1000000, 6];
    const { c } = pair({ ids: () => ids.shift() ?? 7 });
    const a = c.open(), b = c.open();
    equal(a.clientId, 5, "0 skipped");
    equal(b.clientId, 6, "5 (live) and 0x1000000 skipped");
    a.close();
    b.close();
  });

  await reportAsync("default-ids-are-distinct-and-valid", async () => {
    const { c } = pair({ maxStreams: 16 });
    const seen = new Set<number>();
    const streams: MiniStream[] = [];
    for (let i = 0; i < 16; i++) {
      const x = c.open();
      check(isValidId(x.clientId), "valid id " + x.clientId);
      check(!seen.has(x.clientId), "distinct");
      seen.add(x.clientId);
      streams.push(x);
    }
    for (const x of streams) x.close();
  });

  await reportAsync("wait-refuses-bad-arguments-and-a-fifth-wait", async () => {
    const { c } = pair();
    const a = c.open();
    let refused = 0;
    await a.wait(-1).catch((e) => { if (e.code === MS_BAD_ARGUMENT) refused++; });
    await a.wait(10, "sideways" as WaitFor).catch((e) => { if (e.code === MS_BAD_ARGUMENT) refused++; });
    const four = [a.wait(50), a.wait(50), a.wait(50), a.wait(50)];
    await a.wait(50).catch((e) => { if (e.code === MS_BAD_ARGUMENT) refused++; });
    equal(refused, 3, "refused waits");
    const results = await Promise.all(four);
    equal(results.join(","), "timeout,timeout,timeout,timeout", "the four time out");
    a.close();
    equal(await a.wait(1000), "state", "a closed stream answers at once");
  });

  await reportAsync("one-tunnel-at-each-end-in-both-roles-over-one-link", async () => {
    // Each end opens a stream to the other at once: C2S and S2C messages of both directions share the link.
    const x = new Tunnel({ key, service: () => new FakeService(), tag: "x" });
    const y = new Tunnel({ key, service: () => new FakeService(), tag: "y" });
    join(x, y);
    const fromX = x.open();
    const fromY = y.open();
    for (const service of FakeService.all.slice(-2)) service.up();
    await until("both open", 1000, () => fromX.state === "open" && fromY.state === "open");
    equal(x.openStreams + x.acceptedStreams, 2, "x holds its stream and the one y opened");
    equal(y.openStreams + y.acceptedStreams, 2, "y too");
    equal(fromX.write(new Uint8Array([1, 2, 3])), 3, "x writes");
    equal(fromY.write(new Uint8Array([4, 5])), 2, "y writes");
    const [toY, toX] = FakeService.all.slice(-2); // the first SYN served was x's (served by y), then y's
    await until("both services got their bytes", 1000, () => toY!.received.available + toX!.received.available === 5);
    fromX.close();
    fromY.close();
    await until("both sides closed", 1000, () => x.acceptedStreams === 0 && y.acceptedStreams === 0 && x.openStreams === 0 && y.openStreams === 0);
  });

  await reportAsync("read-and-write-refuse-bad-spans", async () => {
    const { c } = pair();
    const a = c.open();
    throwsCode(MS_BAD_ARGUMENT, () => a.read(new Uint8Array(4), 3, 2), "read span");
    throwsCode(MS_BAD_ARGUMENT, () => a.write(new Uint8Array(4), -1), "write offset");
    throwsCode(MS_BAD_ARGUMENT, () => a.write([1, 2] as unknown as Uint8Array), "write a plain array");
    a.close();
  });
}

main().then(() => trace("done\n"), (e) => trace(`not ok script ${String(e)}\n`));
