// ss/tcp: plain TCP for stream types whose policy says "tls": false: a Connector (ss/protocol) over tcp/client,
// which has the TLS client's non-blocking shape and so is a Transport as it is. Its failures are TCP_* codes
// (tcp/errors); a stream reports them as UNREACHABLE (before the connection opened) or as a lost connection.
import { TCPConnection, type TCPProviders } from "tcp/client";
import type { Connector } from "ss/protocol";

export { TCPConnection, type TCPProviders } from "tcp/client";
export { TCPError, TCP_BAD_ARGUMENT, TCP_DNS, TCP_CONNECT_FAILED, TCP_TIMEOUT, TCP_CLOSED } from "tcp/errors";

/** A Connector for plain TCP (createContext's default `tcp`); `providers` swap the SDK's DNS and TCP. */
export function tcpConnector(providers: TCPProviders = {}): Connector {
  return (host, port, options) => new TCPConnection(host, port, options, providers);
}
