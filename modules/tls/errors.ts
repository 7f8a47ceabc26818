// Error codes of the TLS client (modules/tls), in one place. Every failure a caller sees is a TLSError: one of
// these codes plus a human message. Where the board cannot tell two failures apart, there is one code: the SDK's
// verifier reports an untrusted CA, a wrong host name, an expired certificate, a leaf sent without its chain and a
// missing CA all as "TLS: certificate: auth err", so all of them are TLS_CERT_UNTRUSTED (there is no separate
// hostname-mismatch code, because a board could never produce it truthfully).

export const TLS_BAD_ARGUMENT = "TLS_BAD_ARGUMENT";
export const TLS_DNS = "TLS_DNS";
export const TLS_CONNECT_FAILED = "TLS_CONNECT_FAILED";
export const TLS_CERT_UNTRUSTED = "TLS_CERT_UNTRUSTED";
export const TLS_HANDSHAKE = "TLS_HANDSHAKE";
export const TLS_TIMEOUT = "TLS_TIMEOUT";
export const TLS_CLOSED = "TLS_CLOSED";

export type TLSErrorCode =
  | typeof TLS_BAD_ARGUMENT | typeof TLS_DNS | typeof TLS_CONNECT_FAILED | typeof TLS_CERT_UNTRUSTED
  | typeof TLS_HANDSHAKE | typeof TLS_TIMEOUT | typeof TLS_CLOSED;

export class TLSError extends Error {
  readonly code: TLSErrorCode;
  constructor(code: TLSErrorCode, message: string) {
    super(message);
    this.code = code;
  }
  override toString(): string { return `${this.code}: ${this.message}`; }
}

/** TLS alert descriptions (RFC 5246 section 7.2) that a board meets when a server refuses its offer. */
const ALERTS: Record<number, string> = {
  10: "unexpected_message",
  20: "bad_record_mac",
  40: "handshake_failure: no cipher suite or curve in common (the board offers TLS 1.2 AES-128/256 suites on P-256 only)",
  42: "bad_certificate",
  47: "illegal_parameter",
  48: "unknown_ca",
  51: "decrypt_error",
  70: "protocol_version: the server does not accept TLS 1.2, the only version the board speaks",
  71: "insufficient_security",
  80: "internal_error",
  112: "unrecognized_name",
};

/** Turn what the SDK's TLS throws (its message is all there is) into a coded error. */
export function fromHandshakeFailure(error: unknown): TLSError {
  const text = error instanceof Error ? error.message : String(error);
  if (text.indexOf("certificate") >= 0) {
    return new TLSError(TLS_CERT_UNTRUSTED,
      `server certificate not accepted (untrusted CA, wrong name, expired, no CA given, or leaf sent without its issuer): ${text}`);
  }
  const alert = /alert: (\d+), (\d+)/.exec(text);
  if (alert) {
    const description = Number(alert[2]);
    return new TLSError(TLS_HANDSHAKE, `server refused the handshake with alert ${description} (${ALERTS[description] ?? "unknown"}): ${text}`);
  }
  return new TLSError(TLS_HANDSHAKE, `handshake failed: ${text}`);
}
