// Error codes of the TLS client (modules/tls), in one place. Every failure a caller sees is a TLSError: one of
// these codes plus a human message. There is one code per failure the board can tell apart, and the board's own
// words (String(error) of what its TLS threw) are kept at the end of the message:
//   "certificate: auth err"      (TLS)        -> TLS_CERT_UNTRUSTED: untrusted CA, wrong name, leaf sent alone, no CA
//   "date validation failed"     (Error)      -> TLS_CERT_EXPIRED: a certificate outside its dates, or the device
//                                                clock not set (a board starts near 1970 until SNTP sets it)
//   "invalid buffer"             (TypeError)  -> TLS_CERT_CHAIN: the server's issuing certificate has no Authority
//                                                Key Identifier, so the board's verifier cannot walk the chain
//   "alert: <level>, <desc>"     (TLS)        -> TLS_HANDSHAKE: the server refused the board's offer
// The board cannot tell a wrong name from an untrusted CA, so neither can this module: there is no hostname code.

export const TLS_BAD_ARGUMENT = "TLS_BAD_ARGUMENT";
export const TLS_DNS = "TLS_DNS";
export const TLS_CONNECT_FAILED = "TLS_CONNECT_FAILED";
export const TLS_CERT_UNTRUSTED = "TLS_CERT_UNTRUSTED";
export const TLS_CERT_EXPIRED = "TLS_CERT_EXPIRED";
export const TLS_CERT_CHAIN = "TLS_CERT_CHAIN";
export const TLS_HANDSHAKE = "TLS_HANDSHAKE";
export const TLS_TIMEOUT = "TLS_TIMEOUT";
export const TLS_CLOSED = "TLS_CLOSED";

export type TLSErrorCode =
  | typeof TLS_BAD_ARGUMENT | typeof TLS_DNS | typeof TLS_CONNECT_FAILED | typeof TLS_CERT_UNTRUSTED
  | typeof TLS_CERT_EXPIRED | typeof TLS_CERT_CHAIN | typeof TLS_HANDSHAKE | typeof TLS_TIMEOUT | typeof TLS_CLOSED;

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

/** What the board threw, as its abort report would print it ("TLS: certificate: auth err", "TypeError: ..."). */
function boardText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Turn what the board's TLS threw during the handshake into a coded error that keeps the board's words. */
export function fromHandshakeFailure(error: unknown): TLSError {
  const text = error instanceof Error ? error.message : String(error);
  const board = boardText(error);
  if (text.indexOf("date validation failed") >= 0) {
    return new TLSError(TLS_CERT_EXPIRED,
      `a server certificate is outside its validity dates, or the device clock is not set (set it by SNTP before the first TLS connection); board: ${board}`);
  }
  if (error instanceof TypeError && text === "invalid buffer") {
    return new TLSError(TLS_CERT_CHAIN,
      `the board's verifier cannot walk the server's chain: the certificate after the leaf has no Authority Key Identifier (re-issue the CA with one, or serve an intermediate that has it); board: ${board}`);
  }
  if (text.indexOf("certificate") >= 0) {
    return new TLSError(TLS_CERT_UNTRUSTED,
      `server certificate not accepted (untrusted CA, wrong name, leaf sent without its issuer, or no CA given); board: ${board}`);
  }
  const alert = /alert: (\d+), (\d+)/.exec(text);
  if (alert) {
    const description = Number(alert[2]);
    return new TLSError(TLS_HANDSHAKE, `server refused the handshake with alert ${description} (${ALERTS[description] ?? "unknown"}); board: ${board}`);
  }
  return new TLSError(TLS_HANDSHAKE, `handshake failed; board: ${board}`);
}
