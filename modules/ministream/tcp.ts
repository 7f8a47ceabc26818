// ministream/tcp: the plain TCP service connection of a server tunnel whose service speaks TCP without TLS (a TLS
// service uses tls/client's connect as it is): tcp/client's connection, which has the shape a tunnel's service
// needs (ministream/connection), with ministreaming's defaults. As on a board, the address is a dotted IPv4
// address (the SDK's TCP takes no names; tcp/client would resolve one, a tunnel's service is given an address).
// Failures are tcp/client's TCP_* codes.
import TCP from "embedded:io/socket/tcp";
import { TCPConnection } from "tcp/client";
import { TCPError, TCP_BAD_ARGUMENT } from "tcp/errors";

export type TCPConnectOptions = {
  /** Ring sizes, fixed at connect. Default 2048 rx / 1024 tx. */
  rxSize?: number;
  txSize?: number;
  /** The connection must be up within this (ms). Default 10000. */
  connectTimeout?: number;
  /** The TCP class (default: the SDK's). `any`: the SDK's own constructor signature. */
  io?: new (options: any) => TCP;
  /** Log prefix. Default "tcp". */
  tag?: string;
};

export { TCPConnection };
export type { TCPState } from "tcp/client";

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function size(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 64 || value > 1 << 20) {
    throw new TCPError(TCP_BAD_ARGUMENT, `${name} must be an integer from 64 to ${1 << 20}`);
  }
  return value;
}

/** Start a plain TCP connection to a service; it opens in the background. Bad arguments throw TCP_BAD_ARGUMENT. */
export function connectTCP(address: string, port: number, options: TCPConnectOptions = {}): TCPConnection {
  if (typeof address !== "string" || !IPV4.test(address)) {
    throw new TCPError(TCP_BAD_ARGUMENT, `the board's TCP takes a dotted IPv4 address, not ${JSON.stringify(address)}`);
  }
  return new TCPConnection(address, port, {
    rxSize: size(options.rxSize, 2048, "rxSize"),
    txSize: size(options.txSize, 1024, "txSize"),
    connectTimeout: options.connectTimeout ?? 10000,
    tag: options.tag ?? "tcp",
    nodelay: true,
  }, options.io ? { tcp: options.io } : {});
}
