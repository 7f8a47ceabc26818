// Error codes of the relay client (modules/relay), in one place. Every failure a caller sees is a RelayError: a
// code plus a message that says what happened and, where the wire gives one, what the relay did.

/** A bad host, port, key, size or option; a link to a key that already has one; OOB data of the wrong size. */
export const RELAY_BAD_ARGUMENT = "RELAY_BAD_ARGUMENT";
/** The relay's name did not resolve. */
export const RELAY_DNS = "RELAY_DNS";
/**
 * Refused, unreachable, or closed before the handshake reply. A relay closes without a reply when the hello was
 * made for another key, so a wrong relay key shows up here (the wire cannot tell it from a relay that went away).
 */
export const RELAY_CONNECT_FAILED = "RELAY_CONNECT_FAILED";
/** The handshake reply did not open with the relay's key: not that relay, or not a Tox relay. */
export const RELAY_HANDSHAKE = "RELAY_HANDSHAKE";
/** A frame that does not authenticate, a length over 2048, or a packet the relay must not send. */
export const RELAY_PROTOCOL = "RELAY_PROTOCOL";
/** No connection within connectTimeout, no pong within pingTimeout, or no routing response within routeTimeout. */
export const RELAY_TIMEOUT = "RELAY_TIMEOUT";
/** Used after close, or the relay closed the connection (the link's bytes already received stay readable). */
export const RELAY_CLOSED = "RELAY_CLOSED";
/** The relay answered a routing request with id 0: our own key, or all 240 of our slots there are in use. */
export const RELAY_REFUSED = "RELAY_REFUSED";
/** All `maxLinks` links of this client are in use (the rings are allocated up front). */
export const RELAY_NO_LINK = "RELAY_NO_LINK";
/** The peer disconnected the link (or it was closed here); bytes received before it stay readable. */
export const RELAY_LINK_CLOSED = "RELAY_LINK_CLOSED";

export type RelayErrorCode =
  | typeof RELAY_BAD_ARGUMENT | typeof RELAY_DNS | typeof RELAY_CONNECT_FAILED | typeof RELAY_HANDSHAKE
  | typeof RELAY_PROTOCOL | typeof RELAY_TIMEOUT | typeof RELAY_CLOSED | typeof RELAY_REFUSED | typeof RELAY_NO_LINK
  | typeof RELAY_LINK_CLOSED;

export class RelayError extends Error {
  readonly code: RelayErrorCode;
  constructor(code: RelayErrorCode, message: string) {
    super(message);
    this.code = code;
  }
  override toString(): string { return `${this.code}: ${this.message}`; }
}
