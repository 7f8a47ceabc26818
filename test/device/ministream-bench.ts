// Measuring hooks for the tunnels inside XS (test/ministream-bench.test.js and bench/run.js call them in cranks and
// read XS's meter). Two tunnels joined by an in-memory link pair (no sockets, no simulator bridge on the data path):
// a client stream uploads through the link to the server tunnel, whose bridge hands every byte to an in-XS sink
// service; or the service sources bytes that the client stream downloads. What is counted is the tunnels' own
// work per payload byte: tx ring, framing, link rings, parsing, rx ring, bridge, WINDOW credit both ways. Each
// transfer runs to its end inside one crank (its waits are resolved by the tunnels' own promise jobs).
import { Tunnel } from "ministream/tunnel";
import type { MiniStream } from "ministream/stream";
import type { Connection, WaitFor, WaitResult } from "ministream/connection";
import { join } from "./ministream/pair";

/** The service: takes every byte written (counting them) and, when asked to source, gives `source` bytes. */
class Sink implements Connection {
  readonly state = "open";
  readonly writable = 1 << 20;
  readonly pending = 0;
  static block = new Uint8Array(4096);
  taken = 0;
  source = 0;
  #closed = false;
  read(into: Uint8Array, offset = 0, length = into.byteLength - offset): number {
    if (this.source === 0) {
      if (this.#closed) throw new Error("closed");
      return 0;
    }
    let n = length < this.source ? length : this.source;
    if (n > Sink.block.length) n = Sink.block.length;
    into.set(n === Sink.block.length ? Sink.block : Sink.block.subarray(0, n), offset);
    this.source -= n;
    return n;
  }
  write(_bytes: Uint8Array, _offset = 0, length = _bytes.byteLength - _offset): number {
    this.taken += length;
    return length;
  }
  #readers: ((result: WaitResult) => void)[] = [];
  /** Resolves when asked to source bytes ("readable"); writes never wait (it takes everything). */
  wait(_timeoutMs: number, until: WaitFor = "any"): Promise<WaitResult> {
    if (until === "writable") return Promise.resolve("writable");
    if (this.source > 0) return Promise.resolve("readable");
    return new Promise<WaitResult>((resolve) => { this.#readers.push(resolve); });
  }
  /** Queues `n` more bytes to source and wakes a waiting reader (the bridge). */
  feed(n: number): void {
    this.source += n;
    const readers = this.#readers;
    this.#readers = [];
    for (const r of readers) r("readable");
  }
  close(): void { this.#closed = true; }
}

let client: Tunnel | undefined;
let sink: Sink | undefined;
let stream: MiniStream | undefined;
const chunk = new Uint8Array(1024);
const into = new Uint8Array(1024);
let result = 0;

/** Two tunnels over an in-memory link pair; one stream open. linkSize: each direction's ring. */
export function setup(linkSize = 8192, maxPayload = 1024, txSize = 1024, rxSize = 2048): void {
  sink = new Sink();
  const server = new Tunnel({ service: () => sink, maxAccepted: 1, maxPayload, txSize, rxSize, tag: "bench-server" });
  client = new Tunnel({ key: new Uint8Array(32), maxStreams: 1, maxPayload, txSize, rxSize, tag: "bench-client" });
  join(client, server, linkSize);
  stream = client.open();
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
}

export function state(): { state: string; taken: number; result: number } {
  return { state: stream!.state, taken: sink!.taken, result };
}

/** Uploads `total` bytes in 1 KiB writes; runs to its end in the crank's promise jobs (then `result` is set). */
export function upload(total: number): void {
  const s = stream!;
  const start = sink!.taken;
  (async () => {
    let sent = 0;
    while (sent < total) {
      const left = total - sent;
      const n = s.write(chunk, 0, left < chunk.length ? left : chunk.length);
      sent += n;
      if (n === 0) await s.wait(1000, "writable");
    }
    while (sink!.taken - start < total) await s.wait(1000, "writable");
    result = sink!.taken - start;
  })();
}

/** Downloads `total` bytes the service sources, in 1 KiB reads. */
export function download(total: number): void {
  const s = stream!;
  sink!.feed(total);
  (async () => {
    let got = 0;
    while (got < total) {
      const n = s.read(into);
      got += n;
      if (n === 0) await s.wait(1000, "readable");
    }
    result = got;
  })();
}

