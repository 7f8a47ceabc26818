// tipi/uart-link: the TIPI TLS extension's link over a UART (`embedded:io/serial`), as on a board. The serial port's
// callbacks are forwarded to the TipiServer, which never reads or writes past the counts they report.
// `config.tipi.serial` holds the port options: `port`, `receive`, `transmit`, `baud` on esp32; `device` (a path,
// e.g. a pty) on the SDK's Linux build and in the simulator. A UART has one host: there is no second connection.
//
// Errors: the SDK's serial takes no `onError` (its typing lists none, and the esp32 serial never reports one). A
// UART has no connection to lose; what goes wrong shows as a throw: from the constructor (bad pins or port, a path
// that does not open), which is logged (`tipi: cannot open the UART ...`; the device goes on without a link, it
// never aborts for it), and from read or write (esp32: "output full"), which the pump catches, logs ("tipi: link
// read failed" / "link write failed") and recovers from at the next onReadable / onWritable.
import Serial from "embedded:io/serial";
import { startTipi, type TipiConfig, type TipiServer } from "tipi";

/**
 * The options of `embedded:io/serial` as the SDK types them (esp32: `port`, one of `receive` / `transmit`, `baud`).
 * The SDK's Linux serial and the simulator's open the path in `device` instead, which that typing does not list:
 * the manifest's config (untyped) carries it, and it is passed on as given. `format` and the callbacks are the
 * link's own.
 */
type SerialOptions = ConstructorParameters<typeof Serial>[0];

export type TipiUartConfig = TipiConfig & {
  serial: SerialOptions;
};

export type TipiService = {
  readonly tipi: TipiServer;
  close(): void;
};

export function startTipiLink(config: TipiUartConfig): TipiService {
  const { serial: port, ...options } = config ?? {};
  const { tipi, trust } = startTipi(options);
  if (!port) {
    trace(`tipi: no UART: config.tipi.serial (the port's options) is missing; the TLS extension is not served\n`);
    return { tipi, close() { tipi.close(); } };
  }
  const where = "device" in port ? String(port.device) : `port ${port.port}`;
  let serial: Serial;
  try {
    serial = new Serial({
      ...port,
      format: "buffer",
      onReadable: (count: number) => tipi.linkReadable(count),
      onWritable: (count: number) => tipi.linkWritable(count),
    });
  } catch (error) {
    trace(`tipi: cannot open the UART (${where}): ${String(error)}; the TLS extension is not served\n`);
    return { tipi, close() { tipi.close(); } };
  }
  tipi.attach(serial);
  trace(`tipi: serving the TLS extension on the UART (${where}, ${port.baud} baud); ${trust}\n`);
  return {
    tipi,
    close() {
      tipi.close();
      serial.close();
    },
  };
}
