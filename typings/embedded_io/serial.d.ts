declare module "embedded:io/serial" {
  import type { Buffer } from "embedded:io/_common";
  /** esp32: port / receive / transmit pins; the SDK's Linux build (and the simulator): `device`, a path. */
  export type Options = {
    baud: number;
    port?: number;
    receive?: number;
    transmit?: number;
    device?: string;
    onReadable?: (this: Serial, bytes: number) => void;
    onWritable?: (this: Serial, bytes: number) => void;
    onError?: (this: Serial) => void;
    format?: "number" | "buffer";
  };
  export default class Serial {
    constructor(options: Options);
    read(byteLength?: number): number | ArrayBuffer | undefined;
    read(buffer: Buffer): number;
    write(value: number | Buffer): void;
    close(): void;
    get format(): "number" | "buffer";
    set format(value: "number" | "buffer");
  }
}
