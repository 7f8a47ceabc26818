// apps/budget: measures what the device app holds in XS, phase by phase, in the SDK's instrumented Linux simulator
// (`mcconfig -i -m -p lin`: it prints an `instruments:` line each second) and in ours (test/support/budget.js reads
// the XS heap after a collection at each phase). Each phase is announced by a `budget: phase <name>` line, then the
// app collects garbage every 200 ms for PHASE_MS so the samples of that window show what is live.
//   base          every device module loaded, the network joined and the clock set (device/network,
//                 device/clock: as the device app boots), nothing open
//   tls-N         N TLS connections open (tls/client, rings config.budget.rxSize / txSize), idle, N = 1..handles
//   tls-closed    all closed again
//   tipi-0        a TIPI server (modules/tipi) on an in-XS link, no handle open
//   tipi-N        N TIPI handles open (each a TLS connection with its rings), N = 1..handles
//   tipi-closed   all closed again
//   stress        (config.budget.stress) TLS connections opened one by one and never closed, until memory runs out
//                 (with `creation` incremental 0 the SDK aborts: the last `budget: stress open N` is what fits)
import config from "mc/config";
import Debug from "debug";
import Resource from "Resource";
import Timer from "timer";
import { connect, type TLSConnection } from "tls/client";
import { TipiServer } from "tipi";
import { setClock } from "device/clock";
import { joinNetwork } from "device/network";

type Budget = { host: string; port: number; ca: string; rxSize: number; txSize: number; handles: number; phaseMs: number; stress: boolean };
const budget = config.budget as Budget;
const PHASE_MS = budget.phaseMs ?? 2500;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => { Timer.set(() => resolve(), ms); });
}

async function phase(name: string): Promise<void> {
  Debug.gc();
  trace(`budget: phase ${name}\n`);
  for (let waited = 0; waited < PHASE_MS; waited += 200) {
    Debug.gc();
    await sleep(200);
  }
  Debug.gc();
  trace(`budget: end ${name}\n`);
}

const ca = new Resource(budget.ca).slice(0);

async function open(): Promise<TLSConnection> {
  const c = connect(budget.host, budget.port, { ca, rxSize: budget.rxSize, txSize: budget.txSize, connectTimeout: 10000, tag: "budget" });
  while (!c.isOpen()) {
    if (c.error) throw c.error;
    await c.wait(10000);
  }
  return c;
}

/** The host side of a TIPI link, inside XS: requests are loaded into it, replies counted. */
class Link {
  #inbox: Uint8Array = new Uint8Array(0);
  #at = 0;
  replies: number[] = [];
  load(bytes: Uint8Array): number {
    this.#inbox = bytes;
    this.#at = 0;
    return bytes.length;
  }
  read(into: Uint8Array): number {
    into.set(this.#inbox.subarray(this.#at, this.#at + into.length));
    this.#at += into.length;
    return into.length;
  }
  write(bytes: Uint8Array): number {
    // reply frames: [length hi, length lo, byte...]; an open answers one byte, 255 or 0
    if (bytes.length >= 3) this.replies.push(bytes[2]);
    return bytes.length;
  }
}

async function tipiOpen(server: TipiServer, link: Link, h: number): Promise<void> {
  const target = new Uint8Array(ArrayBuffer.fromString(`${budget.host}:${budget.port}`));
  const frame = new Uint8Array(5 + target.length);
  frame.set([0, 3 + target.length, 0x24, h, 0x01]);
  frame.set(target, 5);
  const before = link.replies.length;
  server.linkReadable(link.load(frame));
  for (let waited = 0; link.replies.length === before; waited += 10) {
    if (waited > 15000) throw new Error(`tipi open ${h}: no reply`);
    server.linkWritable(4096);
    await sleep(10);
  }
  if (link.replies[link.replies.length - 1] !== 0xff) throw new Error(`tipi open ${h}: refused`);
}

async function main() {
  await joinNetwork({ ssid: config.wifiSSID ?? "budget", password: config.wifiPassword ?? "" });
  await setClock(config.clock ?? {});
  await phase("base");
  const connections: TLSConnection[] = [];
  for (let n = 1; n <= budget.handles; n++) {
    connections.push(await open());
    await phase(`tls-${n}`);
  }
  for (const c of connections) c.close();
  connections.length = 0;
  await sleep(500);
  await phase("tls-closed");

  const link = new Link();
  let server: TipiServer | undefined = new TipiServer({ ca, rxSize: budget.rxSize, txSize: budget.txSize, maxHandles: budget.handles, maxFrame: 4096 });
  server.attach(link);
  server.linkWritable(4096);
  await phase("tipi-0");
  for (let h = 0; h < budget.handles; h++) {
    await tipiOpen(server, link, h);
    await phase(`tipi-${h + 1}`);
  }
  server.close();
  server = undefined;
  await sleep(500);
  await phase("tipi-closed");

  if (budget.stress) {
    for (let n = 1; ; n++) {
      connections.push(await open());
      Debug.gc();
      trace(`budget: stress open ${n}\n`);
    }
  }
  trace("budget: done\n");
}

main().catch((error) => trace(`budget: FAILED ${String(error)}\n`));
