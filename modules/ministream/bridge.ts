// ministream/bridge: the server side of one accepted stream. The tunnel hands it the stream a SYN created and the
// connection its service returned; the bridge waits for that connection (connectTimeout), then ACKs (the stream
// sends S2C_ACK with its fresh server id) or refuses (S2C_CLOSE: the seed's conversation a), and from then on moves
// bytes both ways: service -> the stream's tx ring (sent as S2C_SEND_DATA as the client's window allows), the
// stream's rx ring -> service (and so back to the client as WINDOW credit). It never buffers beyond those rings:
// when the client stops reading, the stream's tx ring fills and the bridge stops reading the service, whose own
// rings then push back on it; the other streams of the tunnel are untouched.
//
// Endings: the service closes -> what it sent is drained to the client, then S2C_CLOSE. The client closes -> what
// it sent is written to the service (for at most lingerTimeout), then the service connection is closed. The stream
// fails (protocol error, link lost) -> the service connection is closed at once.
//
// Wakeups: the stream calls onChange synchronously from inside the tunnel; the bridge runs on the next promise job
// (so it never re-enters the tunnel), and waits on the service with wait(timeout) only for what can unblock it.
import Timer from "timer";
import type { MiniStream } from "ministream/stream";
import type { Connection } from "ministream/connection";
import { idText } from "ministream/protocol";

/** A wait on the service never lasts longer than this (ms); the bridge then looks again. */
const POLL = 5000;

export interface BridgeHost {
  release(stream: MiniStream): void;
  readonly tag: string;
}

function why(error: unknown): string {
  return error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error);
}

export class Bridge {
  readonly #stream: MiniStream;
  readonly #conn: Connection | undefined;
  readonly #host: BridgeHost;
  readonly #lingerTimeout: number;
  #up = false;
  #serviceDone = false;
  #ended = false;
  #queued = false;
  #waitRead = false;
  #waitWrite = false;
  #timer: Timer | undefined;
  readonly #fromConn = (view: Uint8Array): number => this.#conn!.read(view);
  readonly #toConn = (view: Uint8Array): number => this.#conn!.write(view);

  constructor(stream: MiniStream, conn: Connection | undefined, host: BridgeHost, connectTimeout: number, lingerTimeout: number) {
    this.#stream = stream;
    this.#conn = conn;
    this.#host = host;
    this.#lingerTimeout = lingerTimeout;
    if (!conn) {
      stream.refuse("the service gave no connection");
      this.#end();
      return;
    }
    stream.onChange = () => this.#schedule();
    this.#timer = Timer.set(() => {
      this.#timer = undefined;
      if (!this.#up && !this.#ended) {
        this.#stream.refuse(`no service connection within ${connectTimeout} ms`);
        this.#end();
      }
    }, connectTimeout);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#queued || this.#ended) return;
    this.#queued = true;
    Promise.resolve().then(this.#run);
  }

  readonly #run = (): void => {
    this.#queued = false;
    this.#move();
  };

  #move(): void {
    if (this.#ended) return;
    const stream = this.#stream;
    const conn = this.#conn!;
    const tag = this.#host.tag;
    if (!this.#up) {
      const state = conn.state;
      if (state === "open" || state === "closed") {
        // "closed" without "failed": it opened, and the service has already had its say
        this.#up = true;
        this.#clearTimer();
        stream.accept();
        trace(`${tag}: SYN ${idText(stream.clientId)} -> service up, ACK with server id ${idText(stream.serverId)}\n`);
      } else if (state === "failed") {
        const error = (conn as { error?: unknown }).error;
        stream.refuse(`the service is not there${error ? " (" + why(error) + ")" : ""}`);
        this.#end();
        return;
      } else {
        if (stream.state !== "connecting") {
          this.#end(); // the link went while the service was connecting
          return;
        }
        this.#wait("any");
        return;
      }
    }
    const state = stream.state;
    if (state === "failed" || (state === "closed" && !stream.peerClosed)) {
      this.#end();
      return;
    }
    // service -> client
    if (!this.#serviceDone && state === "open") {
      try {
        while (stream.writable > 0 && stream.writeFrom(this.#fromConn) > 0) { /* until either side has no more */ }
      } catch (error) {
        this.#serviceDone = true;
        trace(`${tag}: stream ${idText(stream.serverId)} service closed (${why(error)})\n`);
      }
    }
    // client -> service
    if (stream.readable > 0 && !this.#serviceDone) {
      try {
        while (stream.readable > 0 && stream.readTo(this.#toConn) > 0) { /* until either side has no more */ }
      } catch (error) {
        this.#serviceDone = true;
        trace(`${tag}: stream ${idText(stream.serverId)} service refused bytes (${why(error)})\n`);
      }
    }
    if (stream.peerClosed) {
      // The client closed: hand the service what it sent, then close the service.
      if (this.#serviceDone || (stream.readable === 0 && conn.pending === 0)) {
        this.#end();
        return;
      }
      if (!this.#timer) {
        this.#timer = Timer.set(() => {
          this.#timer = undefined;
          trace(`${tag}: stream ${idText(stream.serverId)} service took too long to take the client's last bytes\n`);
          this.#end();
        }, this.#lingerTimeout);
      }
      this.#wait("writable");
      return;
    }
    if (this.#serviceDone) {
      // The service closed: the stream sends what it holds, then its Close, on its own.
      this.#end();
      return;
    }
    if (state !== "open") return;
    if (stream.writable > 0) this.#wait("readable");
    if (stream.readable > 0) this.#wait("writable");
    // neither: the stream's own changes (credit, a read window, a Close) will call again
  }

  /** One wait of each kind at most; "any" counts as a read wait. */
  #wait(until: "any" | "readable" | "writable"): void {
    const read = until !== "writable";
    if (read ? this.#waitRead : this.#waitWrite) return;
    if (read) this.#waitRead = true;
    else this.#waitWrite = true;
    const done = () => {
      if (read) this.#waitRead = false;
      else this.#waitWrite = false;
      this.#schedule();
    };
    this.#conn!.wait(POLL, until).then(done, done);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#clearTimer();
    const stream = this.#stream;
    stream.onChange = undefined;
    if (stream.state === "connecting") stream.refuse("the bridge ended before the service was up");
    else if (stream.state === "open") stream.close();
    if (this.#conn) {
      try {
        this.#conn.close();
      } catch {
        // already closed
      }
    }
    stream.held = false;
    // A stream still sending (what it holds, then its Close) gives its slot back itself when it is through.
    if (stream.finished) this.#host.release(stream);
  }

  #clearTimer(): void {
    if (this.#timer) Timer.clear(this.#timer);
    this.#timer = undefined;
  }
}
