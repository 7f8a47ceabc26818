// The board's memory budget in the simulator: the manifest's `creation` (heap.initial slots, chunk.initial bytes,
// "incremental" 0: no growth) is what XS gets on the board; past it the SDK aborts with `XS abort: memory full`.
// xsnap-worker has no memory limit of its own, so the simulator charges the budget after each crank (README,
// "Memory budget"): slots from xsnap's meter, what xsnap cannot see (the SDK's TLS session, chunks) from the SDK's
// measured figures.
//
// How xsnap's slot count relates to the SDK's (measured with `npm run budget`, test/support/budget.js, apps/budget):
// - xsnap holds its built-ins and every loaded module's functions in RAM (about 4,300 slots at boot, more with
//   modules), where the board has its runtime, the SDK's modules and the manifest's `preload` modules in flash.
//   So the count is taken relative to a baseline: the heap after a collection once the SDK's modules (the
//   simulator's host modules, mc/config) and the `preload` list have been imported, before the app's main
//   (sim/simulator.js); the SDK's measured idle runtime (SDK_IDLE_SLOTS) is charged in its place. The app's main
//   and every module it loads that is not preloaded are charged, as the board loads them into RAM.
// - each open TLS connection holds OURS_TLS_CONNECTION_SLOTS in xsnap (device code + hosts/sim/tls.js, a JS
//   socket), SDK_TLS_CONNECTION_SLOTS on the SDK (its native TLS session included): the session is charged the
//   difference, so a connection costs in the simulator what it costs on the board. A session still in its
//   handshake is charged the SDK's handshake extra on top (the low end of the measured range).
// - chunks: xsnap's meter gives no chunk figure (its `allocate` is its fixed arena), so chunks are charged from the
//   SDK's figures only: the idle runtime's and each TLS connection's (its session and rings). ArrayBuffers and
//   strings device code makes beyond those are not charged.

// Measured 2026-11-29 in the SDK's instrumented simulator (README, "Memory budget"; 64-bit: slot counts carry over
// to the ESP32, chunk bytes are an upper bound for it).
export const SDK_IDLE_SLOTS = 364; // runtime at idle: Wi-Fi joined, clock set, every module loaded
export const SDK_IDLE_CHUNKS = 2192;
export const SDK_TLS_CONNECTION_SLOTS = 461; // each open TLS connection (modules/tls, 2048/1024-byte rings)
export const SDK_TLS_CONNECTION_CHUNKS = 7000; // "7.0 KB"
export const SDK_TLS_HANDSHAKE_SLOTS = 562; // opening one: 562-641 slots, 9.6-12.6 KB chunks, what it keeps included
export const SDK_TLS_HANDSHAKE_CHUNKS = 9600;
// Measured the same day in our simulator's XS (apps/budget, live slots after gc()): each open TLS connection.
export const OURS_TLS_CONNECTION_SLOTS = 446;

/** What each TLS session the Node side holds is charged: what the SDK's connection takes that xsnap's does not. */
export const TLS_SESSION_SLOTS = SDK_TLS_CONNECTION_SLOTS - OURS_TLS_CONNECTION_SLOTS;
export const TLS_SESSION_CHUNKS = SDK_TLS_CONNECTION_CHUNKS;
/** On top, while the session is in its handshake. */
export const TLS_HANDSHAKE_SLOTS = SDK_TLS_HANDSHAKE_SLOTS - SDK_TLS_CONNECTION_SLOTS;
export const TLS_HANDSHAKE_CHUNKS = SDK_TLS_HANDSHAKE_CHUNKS - SDK_TLS_CONNECTION_CHUNKS;

/**
 * The budget a manifest's `creation` gives: { slots, chunks } (Infinity where it may grow or is not given), or null
 * when nothing is bounded. `override`: false (no budget), or { slots, chunks } replacing the manifest's figures.
 */
export function budgetOf(creation, override) {
  if (override === false) return null;
  const fixed = (part) => (part && Number.isFinite(part.initial) && !part.incremental ? part.initial : Infinity);
  const budget = { slots: fixed(creation?.heap), chunks: fixed(creation?.chunk), ...(override ?? {}) };
  if (budget.slots === Infinity && budget.chunks === Infinity) return null;
  return budget;
}

export class MemoryMeter {
  /** xsnap's live slots after a collection once the SDK's and the preloaded modules are loaded; charges start then. */
  baseline = null;
  /** The last charge (see charge()). */
  last = null;

  constructor(budget, tlsCount) {
    this.budget = budget;
    this.tlsCount = tlsCount; // () => { open, handshaking }: the Node side's TLS sessions
  }

  /** What is charged with `heapCount` slots live in xsnap: { slots, chunks, over, ... }. */
  charge(heapCount) {
    const { open, handshaking } = this.tlsCount();
    const xs = heapCount - this.baseline;
    const slots = SDK_IDLE_SLOTS + xs + open * TLS_SESSION_SLOTS + handshaking * TLS_HANDSHAKE_SLOTS;
    const chunks = SDK_IDLE_CHUNKS + open * TLS_SESSION_CHUNKS + handshaking * TLS_HANDSHAKE_CHUNKS;
    return { slots, chunks, xs, open, handshaking, over: slots > this.budget.slots || chunks > this.budget.chunks };
  }

  /** The report printed with the abort: what was charged, against what. */
  report(c) {
    const b = this.budget;
    return [
      `memory full: slots ${c.slots} of ${b.slots} = ${SDK_IDLE_SLOTS} idle runtime (SDK) + ${c.xs} device (xsnap, live after gc, above the runtime and the preloaded modules)` +
        ` + ${c.open} TLS sessions x ${TLS_SESSION_SLOTS} + ${c.handshaking} handshaking x ${TLS_HANDSHAKE_SLOTS}`,
      `memory full: chunks ${c.chunks} of ${b.chunks} B = ${SDK_IDLE_CHUNKS} idle runtime (SDK) + ${c.open} TLS sessions x ${TLS_SESSION_CHUNKS}` +
        ` + ${c.handshaking} handshaking x ${TLS_HANDSHAKE_CHUNKS} (other chunks are not metered)`,
    ];
  }
}
