// ministream/link: a tunnel's link, two ways.
// TCPLink: over an ECMA-419 TCP socket (embedded:io/socket/tcp), an outgoing connection (address + port) or one a
// Listener accepted (from). It keeps the counts the socket reported (onReadable, onWritable) so it never reads or
// writes past them (the board's TCP throws "invalid" / "would block"), and turns the socket's callbacks into the
// tunnel's linkReadable / linkWritable / linkLost.
// ConnectionLink: over anything in the TLS client's shape (a TLSConnection, a relay link, a TCPConnection, another
// tunnel's stream): read and write pass straight through, and one wait(timeout) at a time stands for the callbacks.
// A link of yet another kind (a UART) implements the same two calls, read and write (ministream/tunnel's Link), and
// makes the same three calls on its tunnel.
import TCP from "embedded:io/socket/tcp";
import type { Link, Tunnel } from "ministream/tunnel";
import type { Connection } from "ministream/connection";

export type TCPLinkOptions = ({ address: string; port: number } | { from: TCP }) & {
  /** The TCP class (default: the SDK's). `any`: the SDK's own constructor signature. */
  io?: new (options: any) => TCP;
  /** Called once when the link is gone (the peer closed or reset it, or close() was called). */
  onLost?: (reason: string) => void;
};

export class TCPLink implements Link {
  readonly #tunnel: Tunnel;
  readonly #socket: TCP;
  #readable = 0;
  #writable = 0;
  #closed = false;
  readonly #onLost: ((reason: string) => void) | undefined;

  /** Opens (or adopts) the socket and attaches this link to `tunnel`. */
  constructor(tunnel: Tunnel, options: TCPLinkOptions) {
    this.#tunnel = tunnel;
    const { io, onLost, ...where } = options;
    this.#onLost = onLost;
    const Socket = io ?? TCP;
    this.#socket = new Socket({
      ...where,
      nodelay: true,
      onReadable: (count: number) => {
        if (this.#closed) return;
        this.#readable = count;
        tunnel.linkReadable();
      },
      onWritable: (count: number) => {
        if (this.#closed) return;
        this.#writable = count;
        tunnel.linkWritable();
      },
      onError: () => this.#lost("closed or reset by the peer"),
    });
    tunnel.attach(this);
  }

  read(into: Uint8Array): number {
    let n = this.#readable;
    if (n > into.byteLength) n = into.byteLength;
    if (n <= 0 || this.#closed) return 0;
    this.#socket.read(n === into.byteLength ? into : into.subarray(0, n));
    this.#readable -= n;
    return n;
  }

  write(bytes: Uint8Array): number {
    let n = this.#writable;
    if (n > bytes.byteLength) n = bytes.byteLength;
    if (n <= 0 || this.#closed) return 0;
    this.#socket.write(n === bytes.byteLength ? bytes : bytes.subarray(0, n));
    this.#writable -= n;
    return n;
  }

  /** Closes the socket; the tunnel's streams fail with MS_LINK_LOST. */
  close(): void {
    this.#lost("closed");
  }

  #lost(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#readable = this.#writable = 0;
    this.#tunnel.linkLost(reason);
    try {
      this.#socket.close();
    } catch {
      // already closed by the SDK after an error
    }
    this.#onLost?.(reason);
  }
}

export type ConnectionLinkOptions = {
  /** The longest one wait on the connection lasts (ms) before the link looks again. Default 5000. */
  poll?: number;
  /** Called once when the link is gone (the connection failed, or closed and was drained, or close() was called). */
  onLost?: (reason: string) => void;
};

/** Anything that can end a tunnel's link: what a connection's failure carries. */
function why(error: unknown): string {
  return error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error);
}

export class ConnectionLink implements Link {
  readonly #tunnel: Tunnel;
  readonly #conn: Connection;
  readonly #poll: number;
  readonly #onLost: ((reason: string) => void) | undefined;
  #closed = false;

  /** Attaches this link to `tunnel` and starts waiting on the connection (which may still be connecting). */
  constructor(tunnel: Tunnel, conn: Connection, options: ConnectionLinkOptions = {}) {
    this.#tunnel = tunnel;
    this.#conn = conn;
    this.#poll = options.poll ?? 5000;
    this.#onLost = options.onLost;
    tunnel.attach(this);
    this.#pump().catch((error) => this.#lost(`its wait failed: ${why(error)}`));
  }

  read(into: Uint8Array): number {
    if (this.#closed) return 0;
    try {
      return this.#conn.read(into);
    } catch (error) {
      this.#lost(why(error)); // closed and drained, or failed
      return 0;
    }
  }

  write(bytes: Uint8Array): number {
    if (this.#closed) return 0;
    try {
      return this.#conn.write(bytes);
    } catch (error) {
      this.#lost(why(error));
      return 0;
    }
  }

  /** Closes the connection; the tunnel's streams fail with MS_LINK_LOST. */
  close(): void {
    this.#lost("closed");
  }

  /** One wait at a time stands for onReadable / onWritable; a failed connection, or a closed one drained, ends it. */
  async #pump(): Promise<void> {
    const conn = this.#conn;
    const tunnel = this.#tunnel;
    let closedPasses = 0;
    while (!this.#closed) {
      await conn.wait(this.#poll);
      if (this.#closed) return;
      if (conn.state === "failed") {
        const error = (conn as { error?: unknown }).error;
        this.#lost(`the connection failed${error ? " (" + why(error) + ")" : ""}`);
        return;
      }
      // A closed connection still holds what came before its close: the tunnel reads it, and the read after the
      // last byte throws, which ends the link (read above).
      tunnel.linkReadable();
      tunnel.linkWritable();
      if (conn.state === "closed" && !this.#closed && ++closedPasses > 100) {
        this.#lost("closed by the peer (its last bytes were not taken)");
        return;
      }
    }
  }

  #lost(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#tunnel.linkLost(reason);
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.#onLost?.(reason);
  }
}
