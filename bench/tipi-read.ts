// Benchmark kernels for the TIPI read path inside XS (no top-level side effects; bench/run.js drives them):
// socket -> the handle's rx ring -> a read reply frame in the reply ring -> the link. Both ends are in-XS objects
// with the SDK's shapes (a TLSSocket that serves a fixed pattern, a link that counts what it is given), so the
// compute measured is the device code's own, not the simulator's bridge (measured separately in bench/run.js).
import { TipiServer } from "tipi";

const PATTERN = new Uint8Array(4096);
for (let i = 0; i < PATTERN.length; i++) PATTERN[i] = (i * 31 + 7) & 0xff;

/** TLSSocket's shape: read(view) copies what there is; the driver decides when bytes "arrive". */
class PatternSocket {
  static sockets: PatternSocket[] = [];
  readonly #options: any; // the SDK's options object, as TLSSocket receives it
  #available = 0;
  #at = 0;
  constructor(options: any) {
    this.#options = options;
    PatternSocket.sockets.push(this);
  }
  read(view: Uint8Array): number {
    const n = Math.min(view.byteLength, this.#available, PATTERN.length - this.#at);
    view.set(n === PATTERN.length - this.#at && this.#at === 0 ? PATTERN : PATTERN.subarray(this.#at, this.#at + n), 0);
    this.#at = (this.#at + n) % PATTERN.length;
    this.#available -= n;
    return n;
  }
  write(_bytes: Uint8Array): number { return 0; }
  close(): void {}
  handshake(): void { this.#options.onWritable(1440); }
  arrive(count: number): void {
    this.#available += count;
    this.#options.onReadable(this.#available);
  }
}

class NoTCP { constructor(_options: any) {} }

/** The link: hands requests to the server and counts reply bytes. */
class CountingLink {
  readonly #inbox = new Uint8Array(64);
  #have = 0;
  #at = 0;
  replied = 0;
  load(bytes: Uint8Array): number {
    this.#inbox.set(bytes, 0);
    this.#have = bytes.byteLength;
    this.#at = 0;
    return bytes.byteLength;
  }
  read(into: Uint8Array): number {
    into.set(this.#inbox.subarray(this.#at, this.#at + into.byteLength));
    this.#at += into.byteLength;
    return into.byteLength;
  }
  write(bytes: Uint8Array): number {
    this.replied += bytes.byteLength;
    return bytes.byteLength;
  }
}

let server: TipiServer | undefined;
const link = new CountingLink();
const readRequest = new Uint8Array([0, 5, 0x24, 0, 0x04, 0, 0]);

function request(bytes: Uint8Array) {
  server!.linkReadable(link.load(bytes));
}

/** A server whose handles open on PatternSockets. */
export function setup(handles: number, chunk: number): void {
  server = new TipiServer({
    ca: new ArrayBuffer(1),
    socket: { io: PatternSocket, TCP: { io: NoTCP } },
    maxHandles: Math.max(handles, 1),
    rxSize: 2048,
    txSize: 1024,
  });
  server.attach(link);
  server.linkWritable(1 << 16);
  readRequest[5] = chunk >> 8;
  readRequest[6] = chunk & 0xff;
}

/** Open handle `h` and finish its handshake; the open's reply goes out when this crank's jobs run. */
export function open(h: number): void {
  const host = new Uint8Array(ArrayBuffer.fromString("127.0.0.1:443"));
  const frame = new Uint8Array(2 + 3 + host.length);
  frame.set([0, 3 + host.length, 0x24, h, 0x01]);
  frame.set(host, 5);
  request(frame);
  PatternSocket.sockets[PatternSocket.sockets.length - 1].handshake();
}

export function openHandles(): number { return server ? server.openHandles : 0; }

/** Move totalBytes through handle 0's read path: bytes arrive at the socket, the host asks for them. */
export function readPath(totalBytes: number): number {
  const socket = PatternSocket.sockets[0];
  const chunk = (readRequest[5] << 8) | readRequest[6];
  const start = link.replied;
  let moved = 0;
  while (moved < totalBytes) {
    socket.arrive(chunk);
    request(readRequest);
    server!.linkWritable(1 << 16); // the link reports its space again, as a socket does after sending
    moved += chunk;
  }
  // Each reply is a 2-byte frame header and the data.
  return link.replied - start - 2 * (totalBytes / chunk);
}

/** Close everything (so the heap can be compared with the state before setup). */
export function teardown(): void {
  server?.close();
  server = undefined;
  PatternSocket.sockets.length = 0;
}
