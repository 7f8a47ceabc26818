// tipi/tcp-link: the TIPI TLS extension's link over TCP (the simulator's link, and any board with a network link
// instead of a UART): a listener on `address:port`, and one accepted connection at a time as the host's link.
//
// A second connection while a host is attached (the rule, README "The link coming and going"):
// - it waits, unread beyond its first 5 bytes, and takes the link over only once those bytes are the start of a
//   TIPI request: a frame header of 3..maxFrame bytes, then 0x24, a handle and one of the four commands. The host
//   it replaces is closed; its unanswered requests are dropped; handles stay open.
// - anything else is closed at once and logged, and the attached host never notices: a stray client, a port
//   scanner, or the device's own TLS client when a handle opens the device's own link port (its ClientHello,
//   16 03 01 ..., is no request; that open fails with TLS_CONNECT_FAILED).
// - a newer second connection replaces an older one that has not spoken yet. When the attached host goes away, a
//   waiting connection becomes the link as it is (with no host attached, the first connection is the link).
// So a host that crashed and left a half-open socket behind is replaced by its successor's first request, and
// nothing that does not speak TIPI can take the link.
//
// A listener that cannot be opened (the port in use) is logged, `tipi: cannot listen on ...`, and the device goes on
// without a link (it never aborts for it).
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import { startTipi, type TipiConfig, type TipiServer, type Link } from "tipi";
import { checkRequestStart, describe, NEED_MORE, OK, REQUEST_START } from "tipi/protocol";
import { DEFAULTS } from "tipi/wire";

export type TipiTcpConfig = TipiConfig & {
  /** Listener port; 0 picks a free one (the simulator reports it). Default 9924. */
  port?: number;
  /** Listener address. Default 127.0.0.1. */
  address?: string;
};

export type TipiService = {
  readonly tipi: TipiServer;
  close(): void;
};

/** What the SDK's Listener implements beyond its typing (embedded:io/socket/listener). */
type Closable = { close(): void };

/** One accepted connection: the host's link, or a second one waiting to take over. */
class Connection implements Link {
  readonly socket: TCP;
  readonly peer: string;
  /** Its first bytes, read while it waited to take over, not yet given to the pump. */
  readonly held = new Uint8Array(REQUEST_START);
  heldCount = 0;
  heldAt = 0;
  /** The socket's last onReadable / onWritable counts, less what was read or written since. */
  readable = 0;
  writable = 0;

  constructor(socket: TCP, peer: string) {
    this.socket = socket;
    this.peer = peer;
  }

  /** Bytes the pump may read: what is held plus what the socket holds. */
  get pending(): number { return this.heldCount - this.heldAt + this.readable; }

  read(into: Uint8Array): number {
    let n = 0;
    while (this.heldAt < this.heldCount && n < into.byteLength) into[n++] = this.held[this.heldAt++]!;
    if (n < into.byteLength) {
      const rest = into.byteLength - n;
      this.socket.read(n === 0 ? into : into.subarray(n));
      this.readable -= rest;
    }
    return into.byteLength;
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

function hex(bytes: Uint8Array, count: number): string {
  let text = "";
  for (let i = 0; i < count; i++) text += (i ? " " : "") + (bytes[i]! < 16 ? "0" : "") + bytes[i]!.toString(16);
  return text;
}

/** The link in the simulators (hosts/esp32/link-tcp.ts makes it `device/link`), or on a board with a network link. */
export function startTipiLink(config: TipiTcpConfig = {}): TipiService {
  const { port: configPort, address: configAddress, ...options } = config;
  const { tipi, trust } = startTipi(options);
  const port = configPort ?? 9924;
  const address = configAddress ?? "127.0.0.1";
  const maxFrame = options.maxFrame ?? DEFAULTS.maxFrame;
  let host: Connection | undefined;
  let waiting: Connection | undefined;

  const drop = (connection: Connection, reason: string) => {
    if (connection === host) {
      host = undefined;
      tipi.linkLost(reason);
      if (waiting) promote(waiting);
    } else if (connection === waiting) {
      waiting = undefined;
    }
    connection.close();
  };

  /** The link becomes `connection` (replacing the host, if any); what it holds and reported goes to the pump. */
  const promote = (connection: Connection) => {
    if (waiting === connection) waiting = undefined;
    const previous = host;
    host = connection;
    if (previous) previous.close();
    tipi.attach(connection); // drops the previous link first, as "replaced by a newer one"
    if (connection.writable > 0) tipi.linkWritable(connection.writable);
    if (connection.pending > 0) tipi.linkReadable(connection.pending);
  };

  /** A second connection spoke: read up to its first 5 bytes; it takes over or is closed. */
  const vet = (connection: Connection) => {
    const want = REQUEST_START - connection.heldCount;
    const n = connection.readable < want ? connection.readable : want;
    if (n > 0) {
      connection.socket.read(connection.held.subarray(connection.heldCount, connection.heldCount + n));
      connection.heldCount += n;
      connection.readable -= n;
    }
    const verdict = checkRequestStart(connection.held, connection.heldCount, maxFrame);
    if (verdict === NEED_MORE) return;
    if (verdict === OK) {
      trace(`tipi: link taken over by ${connection.peer} (its first bytes are a TIPI request)\n`);
      promote(connection);
      return;
    }
    const bytes = hex(connection.held, connection.heldCount);
    const tls = connection.held[0] === 0x16 && connection.held[1] === 0x03
      ? " (a TLS ClientHello: did a handle open the device's own link port?)" : "";
    trace(`tipi: second connection from ${connection.peer} closed: its first bytes ${bytes} are no TIPI request (${describe(verdict)})${tls}; the link stays with the host attached\n`);
    drop(connection, "no TIPI request");
  };

  const accept = (from: TCP) => {
    let connection: Connection | undefined;
    const socket: TCP = new TCP({
      from,
      nodelay: true,
      onReadable: (bytes: number) => {
        if (!connection) return;
        connection.readable = bytes;
        if (connection === host) tipi.linkReadable(connection.pending);
        else if (connection === waiting) vet(connection);
      },
      onWritable: (bytes: number) => {
        if (!connection) return;
        connection.writable = bytes;
        if (connection === host) tipi.linkWritable(bytes);
      },
      onError: () => {
        if (connection) drop(connection, "lost");
      },
    });
    connection = new Connection(socket, `${String(socket.remoteAddress)}:${String(socket.remotePort)}`);
    if (!host) {
      host = connection;
      tipi.attach(connection);
      return;
    }
    if (waiting) {
      trace(`tipi: second connection from ${waiting.peer} closed: a newer one came before it sent a request\n`);
      drop(waiting, "replaced");
    }
    waiting = connection;
    trace(`tipi: second connection from ${connection.peer}: it takes the link over once it sends a TIPI request\n`);
  };

  let listener: (Listener & Closable) | undefined;
  try {
    // The SDK's listeners (lwip, lin) have close(), which its typing does not list: the type here adds it.
    listener = new Listener({
      port,
      address,
      onReadable: (count: number) => {
        for (let i = 0; i < count; i++) {
          const from = listener!.read();
          if (!from) break;
          accept(from);
        }
      },
    }) as Listener & Closable;
  } catch (error) {
    trace(`tipi: cannot listen on ${address}:${port}: ${String(error)}; the TLS extension is not served\n`);
    tipi.close();
    return { tipi, close() {} };
  }

  trace(`tipi: serving the TLS extension on ${address}:${port === 0 ? "(any free port)" : port}; ${trust}\n`);

  return {
    tipi,
    close() {
      if (waiting) drop(waiting, "closed");
      if (host) drop(host, "closed");
      listener?.close();
      tipi.close();
    },
  };
}
