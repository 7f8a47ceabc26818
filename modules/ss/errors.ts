// Error codes of the Secure Streams API (modules/ss), in one place. Only create() throws, and only for what the
// caller can fix (a bad info, a stream type the policy lacks, a protocol or transport this device has not bound);
// everything that happens to a stream afterwards reaches its owner as an lws state (UNREACHABLE, AUTH_FAILED,
// ALL_RETRIES_FAILED, TIMEOUT, ...) with a logged reason, never as an exception.

/** A bad argument: info without a stream type name, a callback that is not a function, flags lws defines for
 * servers, sinks or proxies. */
export const SS_BAD_ARGUMENT = "SS_BAD_ARGUMENT";
/** The policy has no stream type of that name (lws_ss_create returns nonzero: "unknown stream type"). */
export const SS_UNKNOWN_STREAMTYPE = "SS_UNKNOWN_STREAMTYPE";
/** The stream type needs something this context has not bound: a protocol (mqtt until modules/mqtt is bound),
 * a plain TCP transport, or a CA for a tls stream type without a trust store. */
export const SS_UNSUPPORTED = "SS_UNSUPPORTED";
/** The owner refused the stream: its CREATING state callback returned LWSSSSRET_DESTROY_ME (or threw). */
export const SS_CREATE_REFUSED = "SS_CREATE_REFUSED";
/** The context already holds its maximum number of streams. */
export const SS_NO_SPACE = "SS_NO_SPACE";

export type SSErrorCode =
  | typeof SS_BAD_ARGUMENT | typeof SS_UNKNOWN_STREAMTYPE | typeof SS_UNSUPPORTED | typeof SS_CREATE_REFUSED
  | typeof SS_NO_SPACE;

export class SSError extends Error {
  readonly code: SSErrorCode;
  constructor(code: SSErrorCode, message: string) {
    super(message);
    this.name = "SSError";
    this.code = code;
  }
  override toString(): string { return `${this.code}: ${this.message}`; }
}
