// `embedded:io/socket/tcp/tls` for the simulator: Moddable's TLSSocket (the SDK's examples/io/tcp/tlssocket) as
// the board runs it, step for step, with the record layer in the parent (sim/host-tls.js: Node's TLS held to the
// board's limits, and the board's certificate verifier). What device code sees (README, "What the simulator
// reproduces"; each rule has a conformance case):
// - the constructor hands ALL its options to `new options.TCP.io({...options, onReadable, onWritable, onError})`
//   (no TCP.io: it throws); `host` (or `secure.serverName`) is only the certificate name; a CA out of its dates
//   throws "date validation failed" from the constructor;
// - the handshake runs inside the TCP's callbacks, one record at a time; every failure is THROWN from inside the
//   TCP callback ("certificate: auth err", "alert: 2, 70", "date validation failed", TypeError "invalid buffer",
//   TypeError "cannot coerce undefined to object" with no server name): unguarded, it aborts the VM, as on a board;
// - application data that arrives in the same TCP read as the server's Finished is consumed by the handshake and
//   lost (and a close_notify with it is never reported): the board does this; a server that speaks first loses its
//   first bytes;
// - onWritable only after the handshake, with the TCP's space minus 96; onReadable once per decrypted record, with
//   that record's length (the next record comes on a timer once this one is read);
// - read(): the rest of the record; read(n): throws "invalid" past what the record holds; read(view): copies what
//   there is and returns the count; nothing held: undefined. write(): one record, returns the TCP's space left
//   less 32 (not the count written); larger than 16384 throws "too large";
// - a close_notify is onError(); the TCP's own close or reset is onError() too (so a peer close can be reported
//   twice); callbacks get an internal object as `this`, not the socket.
import { call } from "sim:bridge";
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";

const rules = call("rules").header;

/** The board's TLS errors: `name` "TLS", so String(e) reads "TLS: certificate: auth err". */
class TLSError extends Error {}
TLSError.prototype.name = "TLS";
const ERRORS = { TLS: TLSError, TypeError, RangeError, Error };

const RECORD_OVERHEAD = 96; // what the board takes off the TCP's space in onWritable
const WRITE_MARGIN = 32; // what the board takes off the TCP's space in write()'s result
const MAX_FRAGMENT = 16384;
const HEADER = 5;

function raise(failure) {
  const Class = ERRORS[failure.name] ?? Error;
  throw new Class(failure.message);
}

export default class TLSSocket {
  #tcp;
  #id;
  #serverName;
  #callbacks;
  #ready = false;
  #step = "hello"; // what the next handshake step does: hello, read, flight (send the client's flight), finished
  #flight;
  #tcpReadable = 0;
  #tcpWritable = 0;
  #packet; // the record being read: Uint8Array, #packetAt bytes in
  #packetAt = 0;
  #record; // plaintext of the last record that carried application data, until handed over
  #closeNotify = false;
  #data; // the record handed to the app: Uint8Array, #position read so far
  #position = 0;
  #format = "buffer";
  #doRead;

  constructor(options) {
    const secure = options.secure ?? {};
    const serverName = "serverName" in secure ? secure.serverName : options.host;
    this.#serverName = serverName;
    this.#callbacks = { onReadable: options.onReadable, onWritable: options.onWritable, onError: options.onError };
    if (!rules.tlsThisNotSocket) this.#callbacks = this;
    const ca = secure.certificate;
    const created = call("tls.create", {
      serverName: typeof serverName === "string" ? serverName : undefined,
      verify: secure.verify !== false,
    }, ca === undefined ? undefined : ArrayBuffer.isView(ca) ? ca : new Uint8Array(ca)).header;
    if (created.failure) raise(created.failure);
    this.#id = created.id;
    // Rule off: a TLS socket that makes its own TCP when none is given.
    const TCPClass = rules.tlsRequiresTcpIo ? options.TCP.io : options.TCP?.io ?? TCP;
    const tcpOptions = rules.tlsOptionsToTcp ? { ...options } : { address: options.address, port: options.port };
    this.#tcp = new TCPClass({
      ...tcpOptions,
      onReadable: (count) => this.#onTcpReadable(count),
      onWritable: (count) => this.#onTcpWritable(count),
      onError: () => this.#onTcpError(),
    });
    if (options.format !== undefined) this.format = options.format;
  }

  get format() { return this.#format; }
  set format(value) {
    if (value !== "buffer" && value !== "number") throw new RangeError();
    this.#format = value;
  }

  read(what) {
    const data = this.#data;
    if (!data) return undefined;
    let result;
    const available = data.byteLength - this.#position;
    if (this.#format === "number") result = data[this.#position++];
    else if (what === undefined) {
      result = data.slice(this.#position).buffer;
      this.#position = data.byteLength;
    } else if (typeof what === "object") {
      const view = ArrayBuffer.isView(what)
        ? new Uint8Array(what.buffer, what.byteOffset, what.byteLength)
        : new Uint8Array(what);
      const count = Math.min(view.byteLength, available);
      if (!rules.tlsReadViewCopies && view.byteLength > available) throw new Error("invalid");
      view.set(data.subarray(this.#position, this.#position + count));
      this.#position += count;
      result = count;
    } else {
      const count = Number(what);
      if (count > available) throw new Error("invalid");
      result = data.slice(this.#position, this.#position + count).buffer;
      this.#position += count;
    }
    if (this.#position >= data.byteLength) this.#data = undefined;
    if (!this.#data && this.#tcpReadable) {
      // The next record, once this one is read: on a timer, as the board does.
      this.#doRead ??= Timer.set(() => {
        this.#doRead = undefined;
        if (this.#tcp && this.#tcpReadable) this.#onTcpReadable(this.#tcpReadable);
      });
    }
    return result;
  }

  write(buffer) {
    let bytes;
    if (buffer instanceof ArrayBuffer) bytes = new Uint8Array(buffer);
    else if (ArrayBuffer.isView(buffer)) bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    else throw new TypeError("invalid buffer");
    // Before the handshake the board would send the bytes in a clear record; the simulator refuses instead.
    if (!this.#ready) throw new Error("would block");
    if (bytes.byteLength > MAX_FRAGMENT) throw new Error("too large");
    const packet = call("tls.write", { id: this.#id }, bytes).payload;
    this.#tcpWritable = this.#tcp.write(packet);
    return rules.tlsWriteResult ? Math.max(0, this.#tcpWritable - WRITE_MARGIN) : bytes.byteLength;
  }

  close() {
    if (!this.#tcp) return;
    this.#tcp.close();
    if (this.#doRead) Timer.clear(this.#doRead);
    call("tls.close", { id: this.#id });
    this.#tcp = this.#doRead = undefined;
  }

  // TCP callbacks: the handshake and the records run here, and what fails here is thrown out through them.
  #onTcpWritable(count) {
    if (!this.#tcp) return;
    this.#tcpWritable = count;
    if (!this.#ready) {
      // Rule off: onWritable as soon as the TCP connects, before the handshake.
      if (!rules.tlsWritableAfterHandshake) this.#callbacks.onWritable?.(count - RECORD_OVERHEAD);
      this.#messages(false);
    } else if (count > RECORD_OVERHEAD) {
      // Rule off: the TCP's whole space.
      this.#callbacks.onWritable?.(rules.tlsWritableMinus96 ? count - RECORD_OVERHEAD : count);
    }
  }

  #onTcpReadable(count) {
    if (!this.#tcp) return;
    this.#tcpReadable = count;
    if (this.#data) return;
    this.#messages(true);
    if (!this.#ready && this.#tcp) this.#messages(false);
  }

  #onTcpError() {
    if (!this.#tcp || !rules.tlsPeerCloseOnError) return; // rule off: a peer close is not reported
    this.#callbacks.onError?.();
  }

  #messages(read) {
    if (!this.#ready) {
      if (this.#handshake()) {
        this.#ready = true;
        this.#onTcpWritable(this.#tcpWritable);
      }
      // The board reads on here and drops what it gets: data in the same TCP read as the Finished is lost.
      if (read && this.#tcp) {
        const lost = this.#sessionRead();
        if (!rules.tlsFirstFlightLost && lost) this.#hand(lost);
      }
      return;
    }
    const data = this.#sessionRead();
    if (data === undefined) return;
    if (data === null) {
      if (rules.tlsPeerCloseOnError) this.#callbacks.onError?.();
      return;
    }
    this.#hand(data);
  }

  #hand(data) {
    if (data === null || !data.byteLength) return;
    this.#data = data;
    this.#position = 0;
    this.#callbacks.onReadable?.(data.byteLength);
  }

  /** One handshake step; true when the handshake has finished. */
  #handshake() {
    switch (this.#step) {
    case "hello": {
      if (typeof this.#serverName !== "string" && rules.tlsNeedsServerName) {
        throw new TypeError("cannot coerce undefined to object"); // the board's ClientHello has no name to send
      }
      const { header, payload } = call("tls.hello", { id: this.#id });
      if (header.failure) raise(header.failure);
      this.#send(payload);
      this.#step = "read";
      return false;
    }
    case "flight":
      this.#send(this.#flight);
      this.#flight = undefined;
      this.#step = "read";
      return false;
    case "finished":
      return true;
    default: {
      if (!this.#tcpReadable) return false;
      const record = this.#readPacket();
      if (record) this.#unpack(record);
      return false;
    }
    }
  }

  /** Records until one carries application data (its plaintext), a close_notify (null), or the TCP runs dry. */
  #sessionRead() {
    while (this.#tcpReadable) {
      if (!this.#record) {
        const record = this.#readPacket();
        if (!record) return undefined;
        this.#unpack(record);
        if (this.#closeNotify) return null;
      }
      if (this.#record) {
        const data = this.#record;
        this.#record = undefined;
        if (rules.tlsRecordPerReadable) return data;
        // Rule off: merge every record the TCP holds, as a stream would.
        let merged = data;
        while (this.#tcpReadable) {
          const record = this.#readPacket();
          if (!record) break;
          this.#unpack(record);
          if (!this.#record) continue;
          const next = new Uint8Array(merged.byteLength + this.#record.byteLength);
          next.set(merged);
          next.set(this.#record, merged.byteLength);
          merged = next;
          this.#record = undefined;
        }
        return merged;
      }
    }
    return undefined;
  }

  /** Hand one whole record to the record layer; a failure is thrown from here, inside the TCP callback. */
  #unpack(record) {
    const { header, payload } = call("tls.record", { id: this.#id }, record);
    if (header.failure && rules.tlsAbort) raise(header.failure);
    if (header.failure) {
      // Rule off: a lenient TLS that reports handshake failures through onError instead of throwing them.
      this.#closeNotify = true;
      return;
    }
    const bytes = payload ? new Uint8Array(payload) : undefined;
    if (header.plain) this.#record = bytes.slice(0, header.plain);
    if (header.out && !this.#ready) {
      this.#flight = bytes.slice(header.plain, header.plain + header.out);
      this.#step = "flight";
    }
    if (header.handshaken && !this.#ready) this.#step = "finished";
    if (header.closeNotify) this.#closeNotify = true;
  }

  #send(bytes) {
    if (!bytes || !bytes.byteLength) return;
    this.#tcp.write(bytes);
    this.#tcpWritable -= bytes.byteLength;
  }

  /** Read one TLS record off the TCP, across as many TCP reads as it takes; undefined until it is whole. */
  #readPacket() {
    if (!this.#packet || this.#packetAt < HEADER) {
      this.#packet ??= new Uint8Array(HEADER);
      const need = Math.min(HEADER - this.#packetAt, this.#tcpReadable);
      if (need > 0) this.#tcp.read(this.#packet.subarray(this.#packetAt, this.#packetAt + need));
      this.#tcpReadable -= need;
      this.#packetAt += need;
      if (this.#packetAt < HEADER) return undefined;
      const whole = new Uint8Array(HEADER + ((this.#packet[3] << 8) | this.#packet[4]));
      whole.set(this.#packet);
      this.#packet = whole;
    }
    let need = this.#packet.byteLength - this.#packetAt;
    if (need) {
      if (!this.#tcpReadable) return undefined;
      need = Math.min(need, this.#tcpReadable);
      this.#tcp.read(this.#packet.subarray(this.#packetAt, this.#packetAt + need));
      this.#tcpReadable -= need;
      this.#packetAt += need;
      if (this.#packetAt < this.#packet.byteLength) return undefined;
    }
    const record = this.#packet;
    this.#packet = undefined;
    this.#packetAt = 0;
    return record;
  }
}
