declare module "embedded:io/serial" {
  import type { PinSpecifier, PortSpecifier } from "embedded:io/_common";
  // The SDK's typing lists the esp32 options only: `port` is required, and so is one of `receive` / `transmit`.
  // It has no `onError` (the esp32 serial never reports an error; problems surface as throws from the
  // constructor, read and write) and no `device` (the path the SDK's Linux serial and the simulator open: such
  // options come from the manifest's config, untyped).
  type Pins = { receive: PinSpecifier; transmit?: PinSpecifier } | { transmit: PinSpecifier };
  type Options = Pins & {
    port: PortSpecifier;
    baud: number;
    flowControl?: "none" | "hardware";
    dataTerminalReady?: PinSpecifier;
    requestToSend?: PinSpecifier;
    clearToSend?: PinSpecifier;
    dataSetReady?: PinSpecifier;
    onReadable?: (this: Serial, bytes: number) => void;
    onWritable?: (this: Serial, bytes: number) => void;
    format?: "number" | "buffer";
    target?: any;
  };
  class Serial {
    constructor(options: Options);
    readonly resolution: number;
    close(): void;
    /** A byte (format "number") or everything available; undefined when nothing is. */
    read(): number | ArrayBuffer | undefined;
    read(byteLength: number): ArrayBuffer | undefined;
    /** Copies what fits; returns the count, undefined when nothing is available. */
    read(buffer: ByteBuffer): number | undefined;
    write(value: number | ByteBuffer): void;
    flush(): void;
    flush(input: number, output: number): void;
    set(options: { dataTerminalReady?: PinSpecifier; requestToSend?: PinSpecifier; break?: boolean }): void;
    get format(): "number" | "buffer";
    set format(value: "number" | "buffer");
  }
  export default Serial;
}
