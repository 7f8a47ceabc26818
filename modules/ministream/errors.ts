// Error codes of the ministreaming tunnels (modules/ministream), in one place. Every failure a caller sees on a
// stream, a tunnel or a service connection is a MinistreamError: one of these codes plus a human message.

/** A bad option, size, id or argument (also: a wait on more than a few things at once). */
export const MS_BAD_ARGUMENT = "MS_BAD_ARGUMENT";
/** The tunnel already holds its configured maximum of streams. */
export const MS_TABLE_FULL = "MS_TABLE_FULL";
/** The server answered our SYN with a Close: the service is not there (the seed's conversation a). */
export const MS_REFUSED = "MS_REFUSED";
/** No ACK within connectTimeout, or a service connection not up within it. */
export const MS_TIMEOUT = "MS_TIMEOUT";
/** Used after close, or the peer closed the stream and every byte it sent has been read. */
export const MS_CLOSED = "MS_CLOSED";
/** The peer broke the protocol on this stream (a bad ACK, data beyond the window, data before the ACK...). */
export const MS_PROTOCOL = "MS_PROTOCOL";
/** The link under the tunnel went away, or there is none. */
export const MS_LINK_LOST = "MS_LINK_LOST";

export type MinistreamErrorCode =
  | typeof MS_BAD_ARGUMENT | typeof MS_TABLE_FULL | typeof MS_REFUSED | typeof MS_TIMEOUT | typeof MS_CLOSED
  | typeof MS_PROTOCOL | typeof MS_LINK_LOST;

export class MinistreamError extends Error {
  readonly code: MinistreamErrorCode;
  constructor(code: MinistreamErrorCode, message: string) {
    super(message);
    this.code = code;
  }
  override toString(): string { return `${this.code}: ${this.message}`; }
}
