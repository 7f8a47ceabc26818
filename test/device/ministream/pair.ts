// Two tunnels joined in memory (device tests and benchmarks): each direction is a fixed Ring; a write tells the
// reading tunnel at once (linkReadable), and a read tells a writer whose last write was cut short (linkWritable),
// as a socket's onReadable / onWritable would. No sockets, no simulator bridge on the data path.
import Ring from "ring";
import type { Link, Tunnel } from "ministream/tunnel";

export class Half implements Link {
  readonly #in: Ring;
  readonly #out: Ring;
  tunnel: Tunnel | undefined;
  peer: Half | undefined;
  /** This side's last write was cut short. */
  blocked = false;
  /** Bytes written, for tests. */
  written = 0;
  constructor(into: Ring, from: Ring) {
    this.#out = into;
    this.#in = from;
  }
  read(into: Uint8Array): number {
    const n = this.#in.read(into);
    const peer = this.peer!;
    if (n > 0 && peer.blocked) {
      peer.blocked = false;
      peer.tunnel?.linkWritable();
    }
    return n;
  }
  write(bytes: Uint8Array): number {
    const n = this.#out.write(bytes);
    this.written += n;
    if (n < bytes.byteLength) this.blocked = true;
    if (n > 0) this.peer!.tunnel?.linkReadable();
    return n;
  }
}

/** Joins `a` and `b` (each direction a ring of `size` bytes) and attaches both; returns their link ends. */
export function join(a: Tunnel, b: Tunnel, size = 8192): [Half, Half] {
  const ab = new Ring(size), ba = new Ring(size);
  const ha = new Half(ab, ba), hb = new Half(ba, ab);
  ha.peer = hb;
  hb.peer = ha;
  ha.tunnel = a;
  hb.tunnel = b;
  b.attach(hb);
  a.attach(ha);
  return [ha, hb];
}
