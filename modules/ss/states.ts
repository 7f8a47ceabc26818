// The one place that judges a stream's connection-state transitions, as lws does: a table saying, for the state a
// stream was last in, which states it may legally go to next, and one function that applies a transition or refuses
// it naming "A -> B". A stream never shows its owner an illegal transition: the stream code asks transition() first
// and, on a refusal, destroys the stream instead (lws returns LWSSSSRET_DESTROY_ME there).
//
// It follows lws v4.4.5 (the proxy we interoperate with, ../shared/peers.md):
//   the table       lib/secure-streams/secure-streams.c, ss_state_txn_validity[], built with LWS_ROLE_MQTT (peers.md
//                   builds the proxy with -DLWS_ROLE_MQTT=ON: the two QOS_*_REMOTE rows then allow QOS_*_REMOTE)
//   checker "ss"    lib/secure-streams/secure-streams.c, lws_ss_check_next_state_ss(): what lws_ss_event_helper()
//                   asks before a direct (non-proxied) stream's state callback; our streams over modules/tls
//   checker "sspc"  lib/secure-streams/serialized/client/sspc.c, lws_ss_check_next_state_sspc(): what a client of
//                   the proxy asks before passing on a state the proxy sent (the proxied client, later)
// Both checkers share the table and differ only in the states they wave through without judging (waved()).
//
// Rules, in lws' order of checks:
//   1. a waved-through state is allowed and does not change the state kept (so the next transition is judged from
//      the state before it);
//   2. a new state past the table (SINK_JOIN, SINK_PART, any unknown number, and for "sspc" UPSTREAM_LINK_RETRY,
//      which lws' proxied client delivers without asking the checker) is refused: "bad new state N";
//   3. a kept state past the table is refused: "bad existing state N";
//   4. otherwise the table decides: allowed moves to the new state, refused is "transition from A -> B is illegal".
// lws asserts on a refusal in debug builds; we return it.
//
// lws main (after v4.4.5) allows a few more moves: DISCONNECTED -> CONNECTED / UNREACHABLE, UNREACHABLE ->
// UNREACHABLE, CONNECTED -> CONNECTING, CONNECTING -> QOS_ACK_REMOTE / QOS_NACK_REMOTE, ALL_RETRIES_FAILED -> POLL,
// QOS_ACK_REMOTE -> CONNECTING. A v4.4.5 proxy judges its own streams by the v4.4.5 table before it forwards
// their states, so it never sends these; they are refused here until our peer moves.
import {
  LWSSSCS_CREATING, LWSSSCS_DISCONNECTED, LWSSSCS_UNREACHABLE, LWSSSCS_AUTH_FAILED,
  LWSSSCS_CONNECTED, LWSSSCS_CONNECTING, LWSSSCS_DESTROYING, LWSSSCS_POLL, LWSSSCS_ALL_RETRIES_FAILED,
  LWSSSCS_QOS_ACK_REMOTE, LWSSSCS_QOS_NACK_REMOTE, LWSSSCS_QOS_ACK_LOCAL, LWSSSCS_QOS_NACK_LOCAL, LWSSSCS_TIMEOUT,
  LWSSSCS_SERVER_TXN, LWSSSCS_SERVER_UPGRADE, LWSSSCS_EVENT_WAIT_CANCELLED, LWSSSCS_UPSTREAM_LINK_RETRY,
  LWSSSCS_USER_BASE, stateName,
} from "ss/constants";

/** Which lws checker to follow: "ss" for a stream we run ourselves, "sspc" for a client of the lws proxy. */
export type Checker = "ss" | "sspc";

/** The transition was allowed: `state` is the state to keep (unchanged when the new state was waved through). */
export interface Allowed {
  readonly ok: true;
  readonly state: number;
  readonly waved: boolean;
}

/** The transition was refused: the state to keep is unchanged. */
export interface Refused {
  readonly ok: false;
  readonly state: number;
  /** "LWSSSCS_CONNECTED -> LWSSSCS_CREATING", with lws' names. */
  readonly transition: string;
  /** lws' words: "transition from A -> B is illegal", "bad new state N", "bad existing state N". */
  readonly message: string;
}

export type Judgement = Allowed | Refused;

const bit = (state: number): number => 1 << state;

/**
 * For each state a stream was last in, the states it may go to next, one bit per state (lws' ss_state_txn_validity).
 * The index is the last state; row 0 is a stream that has had no state yet.
 */
export const NEXT_STATES: readonly number[] = Object.freeze([
  /* (unset) */
  bit(LWSSSCS_CREATING) | bit(LWSSSCS_DESTROYING),
  /* CREATING */
  bit(LWSSSCS_CONNECTING) | bit(LWSSSCS_TIMEOUT) | bit(LWSSSCS_POLL) | bit(LWSSSCS_SERVER_UPGRADE) |
    bit(LWSSSCS_DESTROYING),
  /* DISCONNECTED */
  bit(LWSSSCS_CONNECTING) | bit(LWSSSCS_TIMEOUT) | bit(LWSSSCS_POLL) | bit(LWSSSCS_DESTROYING),
  /* UNREACHABLE (CONNECTED: a failed connect whose retry succeeds) */
  bit(LWSSSCS_ALL_RETRIES_FAILED) | bit(LWSSSCS_TIMEOUT) | bit(LWSSSCS_POLL) | bit(LWSSSCS_CONNECTING) |
    bit(LWSSSCS_CONNECTED) | bit(LWSSSCS_DESTROYING),
  /* AUTH_FAILED */
  bit(LWSSSCS_ALL_RETRIES_FAILED) | bit(LWSSSCS_TIMEOUT) | bit(LWSSSCS_CONNECTING) | bit(LWSSSCS_DESTROYING),
  /* CONNECTED (POLL: a proxy's retry) */
  bit(LWSSSCS_SERVER_UPGRADE) | bit(LWSSSCS_SERVER_TXN) | bit(LWSSSCS_AUTH_FAILED) | bit(LWSSSCS_QOS_ACK_REMOTE) |
    bit(LWSSSCS_QOS_NACK_REMOTE) | bit(LWSSSCS_QOS_ACK_LOCAL) | bit(LWSSSCS_QOS_NACK_LOCAL) |
    bit(LWSSSCS_DISCONNECTED) | bit(LWSSSCS_TIMEOUT) | bit(LWSSSCS_POLL) | bit(LWSSSCS_DESTROYING),
  /* CONNECTING (ALL_RETRIES_FAILED: via a timeout in this state; DISCONNECTED: a proxy's retry) */
  bit(LWSSSCS_UNREACHABLE) | bit(LWSSSCS_AUTH_FAILED) | bit(LWSSSCS_CONNECTING) | bit(LWSSSCS_CONNECTED) |
    bit(LWSSSCS_TIMEOUT) | bit(LWSSSCS_POLL) | bit(LWSSSCS_ALL_RETRIES_FAILED) | bit(LWSSSCS_DISCONNECTED) |
    bit(LWSSSCS_DESTROYING),
  /* DESTROYING: the end */
  0,
  /* POLL */
  bit(LWSSSCS_CONNECTING) | bit(LWSSSCS_TIMEOUT) | bit(LWSSSCS_ALL_RETRIES_FAILED) | bit(LWSSSCS_DESTROYING),
  /* ALL_RETRIES_FAILED */
  bit(LWSSSCS_CONNECTING) | bit(LWSSSCS_TIMEOUT) | bit(LWSSSCS_UNREACHABLE) | bit(LWSSSCS_DESTROYING),
  /* QOS_ACK_REMOTE (QOS_*_REMOTE again: mqtt) */
  bit(LWSSSCS_DISCONNECTED) | bit(LWSSSCS_TIMEOUT) | bit(LWSSSCS_QOS_ACK_REMOTE) | bit(LWSSSCS_QOS_NACK_REMOTE) |
    bit(LWSSSCS_DESTROYING),
  /* QOS_NACK_REMOTE (QOS_*_REMOTE again: mqtt) */
  bit(LWSSSCS_DISCONNECTED) | bit(LWSSSCS_TIMEOUT) | bit(LWSSSCS_QOS_ACK_REMOTE) | bit(LWSSSCS_QOS_NACK_REMOTE) |
    bit(LWSSSCS_DESTROYING),
  /* QOS_ACK_LOCAL */
  bit(LWSSSCS_DISCONNECTED) | bit(LWSSSCS_TIMEOUT) | bit(LWSSSCS_DESTROYING),
  /* QOS_NACK_LOCAL */
  bit(LWSSSCS_DESTROYING) | bit(LWSSSCS_TIMEOUT),
  /* TIMEOUT: a timeout may come at any point and the owner may do nothing about it */
  bit(LWSSSCS_CONNECTING) | bit(LWSSSCS_CONNECTED) | bit(LWSSSCS_QOS_ACK_REMOTE) | bit(LWSSSCS_QOS_NACK_REMOTE) |
    bit(LWSSSCS_POLL) | bit(LWSSSCS_TIMEOUT) | bit(LWSSSCS_DISCONNECTED) | bit(LWSSSCS_UNREACHABLE) |
    bit(LWSSSCS_DESTROYING),
  /* SERVER_TXN */
  bit(LWSSSCS_DISCONNECTED) | bit(LWSSSCS_TIMEOUT) | bit(LWSSSCS_SERVER_TXN) | bit(LWSSSCS_DESTROYING),
  /* SERVER_UPGRADE */
  bit(LWSSSCS_SERVER_UPGRADE) | bit(LWSSSCS_SERVER_TXN) | bit(LWSSSCS_TIMEOUT) | bit(LWSSSCS_DISCONNECTED) |
    bit(LWSSSCS_DESTROYING),
]);

/** Whether `checker` waves `state` through without judging it (user states, and lws' transient states). */
export function waved(state: number, checker: Checker = "ss"): boolean {
  if (!Number.isInteger(state)) return false;
  if (state >= LWSSSCS_USER_BASE || state === LWSSSCS_EVENT_WAIT_CANCELLED) return true;
  return checker === "ss" && state === LWSSSCS_UPSTREAM_LINK_RETRY;
}

const inTable = (state: number): boolean => Number.isInteger(state) && state >= 0 && state < NEXT_STATES.length;

/**
 * Judge a stream's move from the state it was last in (`from`; LWSSSCS_UNSET before its first) to `to`, as lws'
 * `checker` does. Allowed: { ok: true, state } with the state to keep. Refused: { ok: false, transition: "A -> B",
 * message } and the kept state unchanged. Never throws.
 */
export function transition(from: number, to: number, checker: Checker = "ss"): Judgement {
  if (waved(to, checker)) return { ok: true, state: from, waved: true };
  if (inTable(to) && inTable(from) && (NEXT_STATES[from]! & bit(to)) !== 0) return { ok: true, state: to, waved: false };
  // Refused: only now are the names spelled out (a legal move, every state of every stream, builds no string).
  const named = `${stateName(from)} -> ${stateName(to)}`;
  if (!inTable(to)) return { ok: false, state: from, transition: named, message: `bad new state ${String(to)}` };
  if (!inTable(from)) return { ok: false, state: from, transition: named, message: `bad existing state ${String(from)}` };
  return { ok: false, state: from, transition: named, message: `transition from ${named} is illegal` };
}

