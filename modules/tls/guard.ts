// The TCP class modules/tls gives TLSSocket as its `TCP.io`. It owns two fixes for the board's TLS (the SDK's
// examples/io/tcp/tlssocket over modules/crypt/ssl), both checked by the conformance suite in the SDK's simulator:
// - Guard: every callback runs inside try/catch. The board's TLS throws handshake failures from inside its TCP
//   callbacks, where nothing catches them and the VM aborts (a reboot on a board); here they reach `onFault`, with
//   what the board threw.
// - Pace: while the handshake runs, the TLS socket is shown the TCP's bytes one TLS record at a time. The board's
//   TLSSocket reads on past the server's Finished in the same TCP read and drops what it finds there, so a server
//   that speaks first would lose its first record (and a close_notify with it). Shown one record at a time, the
//   socket finishes the handshake before the next record is offered. Once `handshaking()` says no, the TCP's counts
//   pass through as they are.
import Timer from "timer";

type Callback = ((this: unknown, ...args: any[]) => void) | undefined;
// `any` at this host boundary: the options and socket are the SDK's own TCP, passed straight through.
type TCPClass = new (options: any) => any;

const RECORD_HEADER = 5;

export default function guardTCP(
  TCP: TCPClass,
  onFault: (error: unknown) => void,
  handshaking: () => boolean = () => false,
  onConnected: () => void = () => {},
): TCPClass {
  const guard = (callback: Callback): Callback => callback && function (this: unknown, ...args: any[]) {
    try {
      callback.apply(this, args);
    } catch (error) {
      onFault(error);
    }
  };
  return class GuardedTCP {
    #tcp: any;
    #onReadable: Callback;
    #readable = 0; // what the TCP holds, by its last report less what was read since
    #offered = 0; // what the TLS socket was last told it may read
    #header = new Uint8Array(RECORD_HEADER); // the record header being read while pacing
    #headerAt = 0;
    #bodyLeft = 0;
    #again: ReturnType<typeof Timer.set> | undefined;

    constructor(options: any) {
      this.#onReadable = guard(options.onReadable);
      const onWritable = guard(options.onWritable);
      let connected = false;
      this.#tcp = new TCP({
        ...options,
        onReadable: (count: number) => {
          this.#readable = count;
          this.#offer();
        },
        // The TCP's first onWritable: it is connected (what a TLS_TIMEOUT during the handshake then says).
        onWritable: function (this: unknown, ...args: any[]) {
          if (!connected) {
            connected = true;
            onConnected();
          }
          onWritable?.apply(this, args);
        },
        onError: guard(options.onError),
      });
    }

    read(what?: number | ByteBuffer) {
      const result = this.#tcp.read(what);
      let bytes: Uint8Array | undefined;
      if (result instanceof ArrayBuffer) bytes = new Uint8Array(result);
      else if (what !== undefined && typeof what === "object") {
        bytes = ArrayBuffer.isView(what)
          ? new Uint8Array(what.buffer, what.byteOffset, what.byteLength)
          : new Uint8Array(what as ArrayBuffer);
      }
      const count = bytes ? bytes.byteLength : typeof result === "number" ? 1 : 0;
      this.#readable = Math.max(0, this.#readable - count);
      this.#offered = Math.max(0, this.#offered - count);
      if (bytes) this.#follow(bytes);
      if (this.#offered === 0 && this.#readable > 0 && this.#again === undefined) {
        // The socket has taken what it was offered and the TCP holds more: offer the rest on the next turn.
        this.#again = Timer.set(() => {
          this.#again = undefined;
          this.#offer();
        });
      }
      return result;
    }
    write(what: number | ByteBuffer) { return this.#tcp.write(what); }
    close() {
      if (this.#again !== undefined) Timer.clear(this.#again);
      this.#again = undefined;
      this.#tcp.close();
    }
    get format() { return this.#tcp.format; }
    set format(value) { this.#tcp.format = value; }
    get remoteAddress() { return this.#tcp.remoteAddress; }
    get remotePort() { return this.#tcp.remotePort; }

    /** Tell the socket what it may read: everything, or, during the handshake, up to the end of the next record. */
    #offer() {
      if (this.#readable <= 0) return;
      let count = this.#readable;
      if (handshaking()) {
        count = Math.min(count, this.#headerAt < RECORD_HEADER ? RECORD_HEADER - this.#headerAt : this.#bodyLeft);
        if (count <= 0) return;
      }
      this.#offered = count;
      this.#onReadable?.call(this, count);
    }

    /** Keep track of record boundaries in the bytes the socket read. */
    #follow(bytes: Uint8Array) {
      let at = 0;
      while (at < bytes.byteLength) {
        if (this.#headerAt < RECORD_HEADER) {
          this.#header[this.#headerAt++] = bytes[at++];
          if (this.#headerAt === RECORD_HEADER) {
            this.#bodyLeft = (this.#header[3] << 8) | this.#header[4];
            if (this.#bodyLeft === 0) this.#headerAt = 0;
          }
          continue;
        }
        const take = Math.min(this.#bodyLeft, bytes.byteLength - at);
        at += take;
        this.#bodyLeft -= take;
        if (this.#bodyLeft === 0) this.#headerAt = 0;
      }
    }
  };
}
