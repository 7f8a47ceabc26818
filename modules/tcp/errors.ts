// tcp/errors: the plain TCP client's failure codes (tcp/client), in the TLS client's words (tls/errors): each
// failure is a TCPError with one of these codes and a message saying what happened.
export const TCP_BAD_ARGUMENT = "TCP_BAD_ARGUMENT";
export const TCP_DNS = "TCP_DNS";
export const TCP_CONNECT_FAILED = "TCP_CONNECT_FAILED";
export const TCP_TIMEOUT = "TCP_TIMEOUT";
export const TCP_CLOSED = "TCP_CLOSED";

export type TCPErrorCode =
  | typeof TCP_BAD_ARGUMENT | typeof TCP_DNS | typeof TCP_CONNECT_FAILED | typeof TCP_TIMEOUT | typeof TCP_CLOSED;

export class TCPError extends Error {
  readonly code: TCPErrorCode;
  constructor(code: TCPErrorCode, message: string) {
    super(message);
    this.name = "TCPError";
    this.code = code;
  }
}
