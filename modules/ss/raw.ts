// The raw protocol: the connection's byte stream, as lws' ss-raw.c passes it (lib/secure-streams/protocols/ss-raw.c,
// v4.4.5). No framing, so no message boundaries: rx is whatever arrived, with flags 0 (lws passes 0; its README:
// "SOM and EOM are ignored with raw"), and tx flags are ignored.
//
// State by state, as lws does it:
//   open          (RAW_CONNECTED)  retries reset; CONNECTED
//   bytes         (RAW_RX)         rx(buf, len, 0)
//   writable      (RAW_WRITEABLE)  one tx call per requestTx(); its bytes are sent as they are
//   peer close    (RAW_CLOSE)      the stream sends DISCONNECTED and, unless the stream type is opportunistic,
//                                  backs off and reconnects (a raw stream never completes a transaction)
import { LWSSSCS_CONNECTED, LWSSSSRET_OK } from "ss/constants";
import { TX_HEADROOM, type Link, type Protocol, type ProtocolFactory, type TxOut } from "ss/protocol";

class Raw implements Protocol {
  readonly #link: Link;
  readonly #out: TxOut = { len: 0, flags: 0 };

  constructor(link: Link) {
    this.#link = link;
  }

  start(): void {}

  open(): void {
    this.#link.connected();
    this.#link.state(LWSSSCS_CONNECTED);
  }

  received(buf: Uint8Array, len: number): void {
    this.#link.rx(buf, len, 0);
  }

  wantsWritable(): boolean {
    return this.#link.txRequested;
  }

  writable(): void {
    const link = this.#link;
    link.takeTxRequest();
    if (link.tx(this.#out) !== LWSSSSRET_OK) return;
    const len = this.#out.len;
    if (len > 0) link.send(link.txFrame, TX_HEADROOM, TX_HEADROOM + len);
  }

  closed(): string {
    return "closed by the peer";
  }
}

export const raw: ProtocolFactory = (link: Link) => new Raw(link);
