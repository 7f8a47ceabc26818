// tipi/link on a board: the TIPI TLS extension served over a UART (`embedded:io/serial`). The serial port's
// callbacks are forwarded to the TipiServer, which never reads or writes past the counts they report.
// `config.tipi.serial` holds the port options: `port`, `receive`, `transmit`, `baud` on esp32; `device` (a path,
// e.g. a pty) on the SDK's Linux build and in the simulator.
//
// Errors: the SDK's serial takes no `onError` (its typing lists none, and the esp32 serial never reports one). A
// UART has no connection to lose; what goes wrong shows as a throw: from the constructor (bad pins or port, a path
// that does not open), which startTipiLink lets through, and from read or write (esp32: "output full"), which
// TipiServer catches, traces ("tipi: link read failed" / "link write failed") and recovers from at the next
// onReadable / onWritable. The link stays attached.
import Serial from "embedded:io/serial";
import Resource from "Resource";
import { TipiServer, type TipiOptions } from "tipi";

/**
 * The options of `embedded:io/serial` as the SDK types them (esp32: `port`, one of `receive` / `transmit`, `baud`).
 * The SDK's Linux serial and the simulator's open the path in `device` instead, which that typing does not list:
 * the manifest's config (untyped) carries it, and it is passed on as given. `format` and the callbacks are the
 * link's own.
 */
type SerialOptions = ConstructorParameters<typeof Serial>[0];

export type TipiUartConfig = Omit<TipiOptions, "ca"> & {
  serial: SerialOptions;
  /** Name of the resource holding the trusted CA (DER). Default "ca.der". */
  caResource?: string;
};

export type TipiService = {
  readonly tipi: TipiServer;
  close(): void;
};

export function startTipiLink(config: TipiUartConfig): TipiService {
  if (!config?.serial) throw new TypeError("tipi: config.tipi.serial (the UART's options) is required");
  const { serial: port, caResource = "ca.der", ...options } = config;
  // A Resource is a host buffer, not the ArrayBuffer TipiServer takes: slice(0) copies it into one.
  const tipi = new TipiServer({ ...options, ca: new Resource(caResource).slice(0) });
  const serial = new Serial({
    ...port,
    format: "buffer",
    onReadable: (count: number) => tipi.linkReadable(count),
    onWritable: (count: number) => tipi.linkWritable(count),
  });
  tipi.attach(serial);
  const where = "device" in port ? String(port.device) : `port ${port.port}`;
  trace(`tipi: serving the TLS extension on the UART (${where}, ${port.baud} baud)\n`);
  return {
    tipi,
    close() {
      tipi.close();
      serial.close();
    },
  };
}
