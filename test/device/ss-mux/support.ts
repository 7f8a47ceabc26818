// What the transport mux device tests share: a mux whose link is a TCP connection to a stand-in peer that records
// every byte and sends the bytes a case chooses (test/device/ss-proxy/support's FakeProxy), a reader of the
// recorded bytes that moves on as a case consumes them, a TCP class that can put a garbage byte on the link, and
// a raw echo served on channels.
import TCP from "embedded:io/socket/tcp";
import Time from "time";
import type { Peer } from "../ss-proxy/support";
import { Mux, MuxChannel, type MuxOptions } from "ss/mux";
import { check, sleep } from "../ss/support";
import { toHex } from "../common/check";

/** The peer's recorded bytes, consumed in order by a case. */
export class Tape {
  at = 0;
  constructor(readonly peer: Peer) {}
  /** The next `n` bytes as hex, once they came (fails after `ms`). */
  async next(n: number, what: string, ms = 3000): Promise<string> {
    check(await this.peer.until(this.at + n, ms), `${what}: only ${this.peer.n - this.at} of ${n} bytes came`);
    const s = toHex(this.peer.rx.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
  /** The next `n` bytes themselves. */
  async bytes(n: number, what: string, ms = 3000): Promise<Uint8Array> {
    check(await this.peer.until(this.at + n, ms), `${what}: only ${this.peer.n - this.at} of ${n} bytes came`);
    const b = this.peer.rx.slice(this.at, this.at + n);
    this.at += n;
    return b;
  }
  /** Bytes not consumed yet. */
  get pending(): number { return this.peer.n - this.at; }
}

/** The 64-bit big-endian number at b[at]. */
export function u64(b: Uint8Array, at: number): number {
  let v = 0;
  for (let i = 0; i < 8; i++) v = v * 256 + b[at + i]!;
  return v;
}

/** A TCP whose last instance a case can make put a garbage byte on the link (a stand-in for line noise). */
export class NoisyTCP extends TCP {
  static last: NoisyTCP | undefined;
  // `any`: the SDK's TCP options, passed on as given.
  constructor(options: any) {
    super(options);
    NoisyTCP.last = this;
  }
  /** One byte that is no mux command, outside any frame (the link is idle when a case calls this). */
  static noise(byte = 0x42): void {
    NoisyTCP.last?.write(Uint8Array.of(byte));
  }
}

/** Wait until `cond()` or `ms` pass; whether it held. */
export async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Time.ticks + ms;
  while (!cond() && Time.ticks < end) await sleep(10);
  return cond();
}

/** A channel's owner that records what it got: bytes read (when reading), writable and error calls. */
export class ChannelUser {
  ch: MuxChannel | undefined;
  got: number[] = [];
  writable = 0;
  errors = 0;
  reading = true;
  constructor(mux: Mux) {
    this.ch = mux.open({
      onReadable: () => { if (this.reading) this.drain(); },
      onWritable: (n: number) => { this.writable = n; },
      onError: () => { this.errors++; },
    });
  }
  drain(): void {
    const ch = this.ch!;
    const n = ch.rx.available;
    if (n === 0) return;
    const b = new Uint8Array(n);
    ch.read(b);
    for (let i = 0; i < n; i++) this.got.push(b[i]!);
  }
  text(): string {
    let s = "";
    for (const c of this.got) s += String.fromCharCode(c);
    return s;
  }
}

/** A raw echo on every channel a proxy-side mux accepts: what comes in goes back, as far as the channel's tx takes. */
export function echoChannels(options: Omit<MuxOptions, "role" | "onChannel">): Mux {
  const scratch = new Uint8Array(1024);
  return new Mux({
    ...options,
    role: "proxy",
    onChannel: (ch: MuxChannel) => {
      const pump = () => {
        let n = ch.rx.available;
        if (n > ch.tx.free) n = ch.tx.free;
        if (n > scratch.length) n = scratch.length;
        if (n <= 0) return;
        const v = scratch.subarray(0, n);
        ch.read(v);
        ch.write(v);
      };
      ch.attach({ onReadable: pump, onWritable: pump, onError: () => ch.close() });
    },
  });
}
