// The tls-abort-* cases (test/conformance/README.md): an unguarded TLSSocket facing a refusal. The handshake failure
// is thrown from inside a TCP callback, where nothing catches it: the VM must stop with "XS abort: unhandled
// exception" and the board's message. The device cannot report after an abort: it traces `expect-abort <message>`
// before it opens the socket, and the runner checks how the run ended. A callback that runs instead is a failure.
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";
import report, { showAborts } from "conformance/report";

export type AbortCaseOptions = {
  /** false: the device gives no CA (`secure: {}`), and the manifest names none. Default: the CA `config.ca`. */
  ca?: boolean;
};

/** Run the case `name`: the abort must carry `expected`, the board's message. */
export default function abortCase(name: string, expected: string, { ca = true }: AbortCaseOptions = {}) {
  let socket: TLSSocket | undefined;
  const { end } = report(name, {
    watchdog: 5000,
    timeout: "timeout: no abort and no callback",
    close: () => socket?.close(),
  });

  showAborts();
  trace(`expect-abort ${expected}\n`);
  socket = new TLSSocket({
    address: "127.0.0.1",
    port: Number(config.port),
    host: String(config.host),
    secure: ca ? { certificate: new Resource(String(config.ca)).slice(0) } : {} /* no CA */,
    TCP: { io: TCP },
    onWritable() { end(false, "the handshake succeeded"); },
    onError() { end(false, "onError: the failure was delivered, not thrown"); },
  });
}
