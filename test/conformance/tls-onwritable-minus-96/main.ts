// Rule (moddable-platform.md, TLS): onWritable comes only after the handshake and reports the TCP's space minus 96;
// the SDK's Linux simulator's TCP reports 1536, so 1440 (observed). The TCP's space is what the SDK's TLSSocket keeps
// (modules/crypt/ssl/session_419.js): the count of the TCP's last onWritable, less the bytes written to it since;
// usually the TCP has reported 1536 again before the handshake ends, which gives the 1440.
// Here: the TLS socket is given, as TCP.io, a class that wraps the real TCP and sees everything that passes through
// it: every count the TCP reports to onWritable, and every byte the TLS socket writes to it and reads from it, parsed
// as TLS records. The handshake is over when the client's Finished (the handshake record after its
// ChangeCipherSpec) has been written and the server's has been read. At the first TLS onWritable:
// - `after-handshake`: both Finished records have passed, and no TLS onReadable came before them;
// - `tcp-reports-1536`: the TCP's first onWritable reported 1536 (a fresh connection);
// - the case: the count is the TCP's space, as the SDK keeps it, minus 96.
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";
import report from "conformance/report";

let socket: TLSSocket | undefined;
const { end, check } = report("tls-onwritable-minus-96", {
  watchdog: 5000,
  timeout: "timeout: no onWritable",
  close: () => socket?.close(),
});

/** One direction of the TLS byte stream, cut into records (a 5-byte header: type, version, length). */
class Records {
  #header = new Uint8Array(5);
  #have = 0; // header bytes seen of the current record
  #left = 0; // body bytes still to come of the current record
  #changeCipherSpec = false;
  /** The first handshake record (type 22) after a ChangeCipherSpec (type 20) has passed whole: the Finished. */
  finished = false;
  /** Complete records, by type, in order: for the failure messages. */
  types: number[] = [];
  feed(bytes: Uint8Array) {
    let i = 0;
    while (i < bytes.length) {
      if (this.#have < 5) {
        this.#header[this.#have++] = bytes[i++]!;
        if (this.#have === 5) {
          this.#left = (this.#header[3]! << 8) | this.#header[4]!;
          if (this.#left === 0) this.#complete();
        }
      } else {
        const n = Math.min(this.#left, bytes.length - i);
        i += n;
        this.#left -= n;
        if (this.#left === 0) this.#complete();
      }
    }
  }
  #complete() {
    const type = this.#header[0]!;
    this.types.push(type);
    if (type === 20) this.#changeCipherSpec = true;
    else if (type === 22 && this.#changeCipherSpec) this.finished = true;
    this.#have = 0;
  }
}

/** The bytes of what a TCP write is given or a read fills: the SDK's TLS passes Uint8Arrays, ours ArrayBuffers. */
function bytesOf(what: ArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(what) ? new Uint8Array(what.buffer, what.byteOffset, what.byteLength) : new Uint8Array(what);
}

const sent = new Records();
const received = new Records();
const reported: number[] = []; // every count the TCP gave onWritable
let space = 0; // the TCP's last count less the bytes written to it since
let readableBefore = false; // a TLS onReadable came before the handshake was over

const handshaken = () => sent.finished && received.finished;

class SpyTCP {
  #tcp: TCP;
  constructor(options: any) {
    const onWritable = options.onWritable;
    this.#tcp = new TCP({
      ...options,
      onWritable(count: number) {
        reported.push(count);
        space = count;
        onWritable.call(this, count);
      },
    });
  }
  read(what?: any) {
    const result: any = this.#tcp.read(what);
    // read(view), as the SDK's TLS reads, fills the whole view (or throws); read(count), as ours, returns the bytes
    if (typeof what === "object") received.feed(bytesOf(what));
    else if (result !== undefined) received.feed(bytesOf(result));
    return result;
  }
  write(what: any) {
    const bytes = bytesOf(what);
    space -= bytes.byteLength;
    sent.feed(bytes);
    return this.#tcp.write(what);
  }
  close() { this.#tcp.close(); }
  get format() { return this.#tcp.format; }
  set format(value) { this.#tcp.format = value; }
}

socket = new TLSSocket({
  address: "127.0.0.1",
  port: Number(config.port),
  host: String(config.host),
  secure: { certificate: new Resource(String(config.ca)).slice(0) },
  TCP: { io: SpyTCP },
  onReadable() {
    if (!handshaken()) readableBefore = true;
  },
  onWritable(count: number) {
    check("after-handshake", handshaken() && !readableBefore,
      `${readableBefore ? "onReadable came before the handshake ended; " : ""}records written ${sent.types.join(",")}, ` +
      `read ${received.types.join(",")} (the client's Finished ${sent.finished ? "was" : "was not"} written, ` +
      `the server's ${received.finished ? "was" : "was not"} read)`);
    check("tcp-reports-1536", reported[0] === 1536, `the TCP first reported ${reported[0]}`);
    end(count === space - 96, `TLS reported ${count}; the TCP's space was ${space} (TCP reported ${reported.join(", ")})`);
  },
  onError() { end(false, "onError"); },
});
