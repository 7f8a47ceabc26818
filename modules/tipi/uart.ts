// tipi/link on a board: the TIPI TLS extension served over a UART (`embedded:io/serial`). The serial port's
// callbacks are forwarded to the TipiServer, which never reads or writes past the counts they report.
// `config.tipi.serial` holds the port options: `port`, `receive`, `transmit`, `baud` on esp32; `device` (a path,
// e.g. a pty) on the SDK's Linux build and in the simulator.
import Serial from "embedded:io/serial";
import Resource from "Resource";
import { TipiServer, type TipiOptions } from "tipi";

export type TipiUartConfig = Omit<TipiOptions, "ca"> & {
  serial: { baud: number; port?: number; receive?: number; transmit?: number; device?: string };
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
  const tipi = new TipiServer({ ...options, ca: new Resource(caResource) });
  const serial = new Serial({
    ...port,
    format: "buffer",
    onReadable: (count: number) => tipi.linkReadable(count),
    onWritable: (count: number) => tipi.linkWritable(count),
    onError: () => tipi.linkLost("uart error"),
  });
  tipi.attach(serial);
  trace(`tipi: serving the TLS extension on the UART (${port.device ?? `port ${port.port}`}, ${port.baud} baud)\n`);
  return {
    tipi,
    close() {
      tipi.close();
      serial.close();
    },
  };
}
