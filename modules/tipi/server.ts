// tipi/server: the simulator's (and any TCP-capable board's) link for the TIPI TLS extension: a TCP listener on
// `address:port`; each accepted connection becomes the link of one TipiServer. One link at a time: a newer
// connection takes over from an older one (a host that crashed leaves a half-open socket behind), and handles stay
// open across links. A board with a UART link wires `embedded:io/serial` to TipiServer the same way (attach, then
// forward onReadable/onWritable; a serial port has no onError: see tipi/uart); tipi.ts itself does not know which
// link it serves.
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import Resource from "Resource";
import { TipiServer, type TipiOptions } from "tipi";

/** The manifest's `config.tipi` block (modules/tipi/manifest.json has the defaults). */
export type TipiConfig = Omit<TipiOptions, "ca"> & {
  /** Listener port; 0 picks a free one (the simulator reports it). Default 9924. */
  port?: number;
  /** Listener address. Default 127.0.0.1. */
  address?: string;
  /** Name of the resource holding the trusted CA (DER). Default "ca.der". */
  caResource?: string;
};

/** What the SDK's Listener implements beyond its typing (embedded:io/socket/listener). */
type Closable = { close(): void };

export type TipiService = {
  readonly tipi: TipiServer;
  close(): void;
};

/** tipi/link in the simulator (and on a board with a network link instead of a UART). */
export { startTipiServer as startTipiLink };

export function startTipiServer(config: TipiConfig = {}): TipiService {
  const caResource = config.caResource ?? "ca.der";
  // A Resource is a host buffer, not the ArrayBuffer TipiServer takes: slice(0) copies it into one.
  const ca = new Resource(caResource).slice(0);
  const { port: _port, address: _address, caResource: _ca, ...options } = config;
  const tipi = new TipiServer({ ...options, ca });
  const port = config.port ?? 9924;
  const address = config.address ?? "127.0.0.1";
  let current: TCP | undefined;

  const drop = (socket: TCP, reason?: string) => {
    if (current !== socket) return;
    current = undefined;
    tipi.linkLost(reason);
    try {
      socket.close();
    } catch {
      // already closed
    }
  };

  // The SDK's listeners (lwip, lin) have close(), which its typing does not list: the type here adds it.
  const listener = new Listener({
    port,
    address,
    onReadable: (count: number) => {
      for (let i = 0; i < count; i++) {
        const from = listener.read();
        if (!from) break;
        if (current) drop(current, "replaced by a newer one");
        const socket: TCP = new TCP({
          from,
          nodelay: true,
          onReadable: (bytes: number) => {
            if (current === socket) tipi.linkReadable(bytes);
          },
          onWritable: (bytes: number) => {
            if (current === socket) tipi.linkWritable(bytes);
          },
          onError: () => drop(socket),
        });
        current = socket;
        tipi.attach(socket);
      }
    },
  }) as Listener & Closable;
  trace(`tipi: serving the TLS extension on ${address}:${port === 0 ? "(any free port)" : port} with CA resource ${caResource}\n`);

  return {
    tipi,
    close() {
      if (current) drop(current, "closed");
      listener.close();
      tipi.close();
    },
  };
}
