// tipi/states: the life of one TIPI handle, as one table. tipi/handles keeps a state per handle and changes it
// only through `allowed` below: a transition missing from the table is a bug, refused and logged as an internal
// error. With `config.tipi.traceStates` every transition is logged `tipi: handle 3 OPEN -> WRITING`.
//
//   FREE ---open---> OPENING ---handshake done---> OPEN <---all bytes taken--- WRITING
//                      |                            | ^ \---write with data----->  |
//                      | failed, or closed          | |                            | part taken, then stalled or the
//                      v                            | +--nothing taken, stalled----+ link lost: FREE (a hole)
//                    FREE                           |                              | the connection ended: ENDED
//                                                   |--close / reopen, bytes in the tx ring--> CLOSING --> FREE
//                                                   |--close, tx ring empty--> FREE            (drained, ended,
//                                                   |--peer closed or failed--> ENDED           stalled, link lost)
//                                                                               ENDED --all bytes read, close--> FREE
//
// FREE is no handle at all (nothing is kept for it). One request at a time is under way (tipi/pump), so at most
// one handle is OPENING (but see below), WRITING or CLOSING because of it; an open whose link went away keeps
// OPENING until its connection settles, with no one waiting for its reply.

export const FREE = 0;
export const OPENING = 1;
export const OPEN = 2;
export const WRITING = 3;
export const CLOSING = 4;
export const ENDED = 5;

export const NAMES = Object.freeze(["FREE", "OPENING", "OPEN", "WRITING", "CLOSING", "ENDED"]);

const bit = (state: number) => 1 << state;

/** TRANSITIONS[from]: the states `from` may go to, as bits. */
const TRANSITIONS = Object.freeze([
  /* FREE    */ bit(OPENING),
  /* OPENING */ bit(OPEN) | bit(FREE),
  /* OPEN    */ bit(WRITING) | bit(CLOSING) | bit(ENDED) | bit(FREE),
  /* WRITING */ bit(OPEN) | bit(ENDED) | bit(FREE),
  /* CLOSING */ bit(FREE),
  /* ENDED   */ bit(FREE),
]);

/** Whether a handle in state `from` may go to state `to`. */
export function allowed(from: number, to: number): boolean {
  const next = TRANSITIONS[from];
  return next !== undefined && to >= 0 && to < NAMES.length && (next & bit(to)) !== 0;
}

/** The name of a state, for the log. */
export function stateName(state: number): string {
  return NAMES[state] ?? `state ${state}`;
}
