// The certificate-name cases (tls-host-is-only-the-name, tls-name-*, tls-servername-overrides-host; see
// test/conformance/README.md): an unguarded TLSSocket to `address` 127.0.0.1, with the trusted CA `config.ca`, must
// complete its handshake under the given certificate name. A refusal would abort the VM, which the runner reports as
// a failure of the case; onError fails it too.
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";
import report from "conformance/report";

export type HandshakeCaseOptions = {
  /** The socket's `host`. Default: `config.host`. */
  host?: string;
  /** `secure.serverName`; none by default. */
  serverName?: string;
};

/** Run the case `name`: the handshake must succeed. */
export default function handshakeCase(
  name: string,
  { host = String(config.host), serverName }: HandshakeCaseOptions = {},
) {
  let socket: TLSSocket | undefined;
  const { end } = report(name, { watchdog: 5000, timeout: "timeout: no handshake", close: () => socket?.close() });

  const ca = new Resource(String(config.ca)).slice(0);
  socket = new TLSSocket({
    address: "127.0.0.1",
    port: Number(config.port),
    host,
    secure: serverName === undefined ? { certificate: ca } : { certificate: ca, serverName },
    TCP: { io: TCP },
    onWritable() { end(true); },
    onError() { end(false, "onError"); },
  });
}
