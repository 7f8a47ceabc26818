// Device-side tests for ss/states, inside XS: the transition table against a listing of lws v4.4.5's
// ss_state_txn_validity[] (lib/secure-streams/secure-streams.c) written out by name, every pair outside it refused
// with "A -> B", and the state transitions lws printed in its minimal examples' READMEs replayed through
// transition(). Reports "ok <name>" / "not ok <name> <why>" per case, then "done".
import { stateName, LWSSSCS_CONNECTED, LWSSSCS_CREATING, LWSSSCS_USER_BASE } from "ss/constants";
import { transition, waved, Checker } from "ss/states";

class Fail extends Error {}

function equal(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Fail(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

function check(cond: boolean, why: string): void {
  if (!cond) throw new Fail(why);
}

function run(name: string, body: () => void): void {
  try {
    body();
    trace(`ok ${name}\n`);
  } catch (e) {
    const why = e instanceof Fail ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    trace(`not ok ${name} ${why.replace(/\n/g, " ")}\n`);
  }
}

/** The number of an lws state name as lws prints it ("(unset)", "LWSSSCS_POLL"). */
function numberOf(name: string): number {
  for (let n = 0; n <= 20; n++) if (stateName(n) === name) return n;
  throw new Fail(`no state is named ${name}`);
}

// lws v4.4.5's table (built with LWS_ROLE_MQTT), one row per last state: the states it may go to next. Our own
// transcription by name, to check the bit table in ss/states against.
const LEGAL = `
(unset):            CREATING DESTROYING
CREATING:           CONNECTING TIMEOUT POLL SERVER_UPGRADE DESTROYING
DISCONNECTED:       CONNECTING TIMEOUT POLL DESTROYING
UNREACHABLE:        ALL_RETRIES_FAILED TIMEOUT POLL CONNECTING CONNECTED DESTROYING
AUTH_FAILED:        ALL_RETRIES_FAILED TIMEOUT CONNECTING DESTROYING
CONNECTED:          SERVER_UPGRADE SERVER_TXN AUTH_FAILED QOS_ACK_REMOTE QOS_NACK_REMOTE QOS_ACK_LOCAL QOS_NACK_LOCAL DISCONNECTED TIMEOUT POLL DESTROYING
CONNECTING:         UNREACHABLE AUTH_FAILED CONNECTING CONNECTED TIMEOUT POLL ALL_RETRIES_FAILED DISCONNECTED DESTROYING
DESTROYING:
POLL:               CONNECTING TIMEOUT ALL_RETRIES_FAILED DESTROYING
ALL_RETRIES_FAILED: CONNECTING TIMEOUT UNREACHABLE DESTROYING
QOS_ACK_REMOTE:     DISCONNECTED TIMEOUT QOS_ACK_REMOTE QOS_NACK_REMOTE DESTROYING
QOS_NACK_REMOTE:    DISCONNECTED TIMEOUT QOS_ACK_REMOTE QOS_NACK_REMOTE DESTROYING
QOS_ACK_LOCAL:      DISCONNECTED TIMEOUT DESTROYING
QOS_NACK_LOCAL:     DESTROYING TIMEOUT
TIMEOUT:            CONNECTING CONNECTED QOS_ACK_REMOTE QOS_NACK_REMOTE POLL TIMEOUT DISCONNECTED UNREACHABLE DESTROYING
SERVER_TXN:         DISCONNECTED TIMEOUT SERVER_TXN DESTROYING
SERVER_UPGRADE:     SERVER_UPGRADE SERVER_TXN TIMEOUT DISCONNECTED DESTROYING
`;

function full(short: string): string {
  return short === "(unset)" ? short : `LWSSSCS_${short}`;
}

/** LEGAL as a set of "from>to" number pairs. */
function legalPairs(): Set<string> {
  const pairs = new Set<string>();
  let rows = 0;
  for (const line of LEGAL.split("\n")) {
    if (line.trim() === "") continue;
    const colon = line.indexOf(":");
    const from = numberOf(full(line.slice(0, colon)));
    const next = line.slice(colon + 1).trim();
    if (next !== "") for (const to of next.split(/ +/)) pairs.add(`${from}>${numberOf(full(to))}`);
    rows++;
  }
  equal(rows, 17, "rows in the listing");
  return pairs;
}

/** Every state 0-16 (the table's rows) to every state 0-20 and a user state: allowed exactly when listed. */
function checkAllPairs(checker: Checker): void {
  const pairs = legalPairs();
  let allowed = 0;
  for (let from = 0; from <= 16; from++) {
    for (let to = 0; to <= 20; to++) {
      const j = transition(from, to, checker);
      if (waved(to, checker)) {
        check(j.ok && j.waved && j.state === from, `${checker}: ${stateName(to)} should be waved through`);
        continue;
      }
      const listed = pairs.has(`${from}>${to}`);
      const named = `${stateName(from)} -> ${stateName(to)}`;
      if (listed) {
        check(j.ok && !j.waved && j.state === to, `${checker}: ${named} should be allowed`);
        allowed++;
      } else {
        check(!j.ok, `${checker}: ${named} should be refused`);
        if (!j.ok) {
          equal(j.transition, named, "refusal names A -> B");
          equal(j.state, from, "state kept on refusal");
        }
      }
    }
    const user = transition(from, LWSSSCS_USER_BASE + 7, checker);
    check(user.ok && user.waved && user.state === from, `${checker}: user state waved from ${stateName(from)}`);
  }
  equal(allowed, pairs.size, "allowed pairs");
}

run("table-matches-lws-listing-ss", () => checkAllPairs("ss"));
run("table-matches-lws-listing-sspc", () => checkAllPairs("sspc"));

/**
 * Replays a log: lines "A -> B" are transitions lws' checker allowed, judged from the state kept so far; a line
 * "= X" is a state lws delivered to the stream without a checker line of its own (a waved-through state).
 */
function replay(log: string, checker: Checker): void {
  let state = 0, steps = 0;
  for (const line of log.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (trimmed.startsWith("= ")) {
      const to = numberOf(trimmed.slice(2));
      const j = transition(state, to, checker);
      check(j.ok && j.waved && j.state === state, `${trimmed}: not waved through from ${stateName(state)}`);
      steps++;
      continue;
    }
    const arrow = trimmed.indexOf(" -> ");
    const from = numberOf(trimmed.slice(0, arrow)), to = numberOf(trimmed.slice(arrow + 4));
    equal(stateName(from), stateName(state), `${trimmed}: log continues from`);
    const j = transition(state, to, checker);
    if (!j.ok) throw new Fail(`${trimmed}: refused (${j.message})`);
    equal(j.state, to, `${trimmed}: state kept`);
    state = j.state;
    steps++;
  }
  check(steps > 0, "empty log");
}

// minimal-examples-lowlevel/secure-streams/minimal-secure-streams-hugeurl/README.md, the captive_portal_detect
// stream (lws_ss_check_next_state lines)
run("replay-hugeurl-captive-portal-detect", () => replay(`
  (unset) -> LWSSSCS_CREATING
  LWSSSCS_CREATING -> LWSSSCS_POLL
  LWSSSCS_POLL -> LWSSSCS_CONNECTING
  LWSSSCS_CONNECTING -> LWSSSCS_CONNECTED
  LWSSSCS_CONNECTED -> LWSSSCS_QOS_ACK_REMOTE
  LWSSSCS_QOS_ACK_REMOTE -> LWSSSCS_DISCONNECTED
  LWSSSCS_DISCONNECTED -> LWSSSCS_DESTROYING
`, "ss"));

// the same README, the httpbin_anything stream
run("replay-hugeurl-httpbin-anything", () => replay(`
  (unset) -> LWSSSCS_CREATING
  LWSSSCS_CREATING -> LWSSSCS_CONNECTING
  LWSSSCS_CONNECTING -> LWSSSCS_CONNECTED
  LWSSSCS_CONNECTED -> LWSSSCS_QOS_ACK_REMOTE
  LWSSSCS_QOS_ACK_REMOTE -> LWSSSCS_DISCONNECTED
  LWSSSCS_DISCONNECTED -> LWSSSCS_DESTROYING
`, "ss"));

// minimal-examples-lowlevel/secure-streams/minimal-secure-streams-mqtt/README.md, the mosq_tls stream
// (lws_ss_check_next_state_ss lines, and the EVENT_WAIT_CANCELLED its state callback got between them)
run("replay-mqtt-mosq-tls", () => replay(`
  (unset) -> LWSSSCS_CREATING
  LWSSSCS_CREATING -> LWSSSCS_POLL
  LWSSSCS_POLL -> LWSSSCS_CONNECTING
  = LWSSSCS_EVENT_WAIT_CANCELLED
  LWSSSCS_CONNECTING -> LWSSSCS_CONNECTED
  LWSSSCS_CONNECTED -> LWSSSCS_QOS_ACK_REMOTE
  LWSSSCS_QOS_ACK_REMOTE -> LWSSSCS_DISCONNECTED
  LWSSSCS_DISCONNECTED -> LWSSSCS_DESTROYING
`, "ss"));

// minimal-examples/server/hello_world/README.md: the accepted stream that served a transaction, and the two that
// were destroyed early (the listener before connecting, one accepted stream while connecting)
run("replay-server-hello-world", () => {
  replay(`
    (unset) -> LWSSSCS_CREATING
    LWSSSCS_CREATING -> LWSSSCS_CONNECTING
    LWSSSCS_CONNECTING -> LWSSSCS_CONNECTED
    LWSSSCS_CONNECTED -> LWSSSCS_SERVER_TXN
    LWSSSCS_SERVER_TXN -> LWSSSCS_DISCONNECTED
    LWSSSCS_DISCONNECTED -> LWSSSCS_DESTROYING
  `, "ss");
  replay(`
    (unset) -> LWSSSCS_CREATING
    LWSSSCS_CREATING -> LWSSSCS_CONNECTING
    LWSSSCS_CONNECTING -> LWSSSCS_DESTROYING
  `, "ss");
  replay(`
    (unset) -> LWSSSCS_CREATING
    LWSSSCS_CREATING -> LWSSSCS_DESTROYING
  `, "ss");
});

// minimal-examples/sink/hello_world/README.md, the sink stream
run("replay-sink-hello-world", () => replay(`
  (unset) -> LWSSSCS_CREATING
  LWSSSCS_CREATING -> LWSSSCS_CONNECTING
  LWSSSCS_CONNECTING -> LWSSSCS_CONNECTED
  LWSSSCS_CONNECTED -> LWSSSCS_DISCONNECTED
  LWSSSCS_DISCONNECTED -> LWSSSCS_DESTROYING
`, "ss"));

// minimal-examples-lowlevel/secure-streams/minimal-secure-streams-perf/README.md, a client of the proxy
run("replay-perf-proxied-mintest", () => replay(`
  (unset) -> LWSSSCS_CREATING
  LWSSSCS_CREATING -> LWSSSCS_CONNECTING
  LWSSSCS_CONNECTING -> LWSSSCS_CONNECTED
  LWSSSCS_CONNECTED -> LWSSSCS_QOS_ACK_REMOTE
  LWSSSCS_QOS_ACK_REMOTE -> LWSSSCS_DISCONNECTED
  LWSSSCS_DISCONNECTED -> LWSSSCS_DESTROYING
`, "sspc"));

// minimal-examples/embedded/rt595/hello_world/README.md, the mintest-lws stream through the proxy
// (lws_ss_check_next_state_sspc lines): a GET, then a new connection on the next tx
run("replay-rt595-sspc-mintest", () => replay(`
  (unset) -> LWSSSCS_CREATING
  LWSSSCS_CREATING -> LWSSSCS_CONNECTING
  LWSSSCS_CONNECTING -> LWSSSCS_CONNECTED
  LWSSSCS_CONNECTED -> LWSSSCS_QOS_ACK_REMOTE
  LWSSSCS_QOS_ACK_REMOTE -> LWSSSCS_DISCONNECTED
  LWSSSCS_DISCONNECTED -> LWSSSCS_CONNECTING
`, "sspc"));

// minimal-examples/ssproxy/ssproxy-custom-transport-uart/README.md, the proxy's own fetch_policy stream
run("replay-ssproxy-uart-fetch-policy", () => replay(`
  (unset) -> LWSSSCS_CREATING
  LWSSSCS_CREATING -> LWSSSCS_POLL
  LWSSSCS_POLL -> LWSSSCS_CONNECTING
  LWSSSCS_CONNECTING -> LWSSSCS_CONNECTED
  LWSSSCS_CONNECTED -> LWSSSCS_QOS_ACK_REMOTE
  LWSSSCS_QOS_ACK_REMOTE -> LWSSSCS_DISCONNECTED
  LWSSSCS_DISCONNECTED -> LWSSSCS_DESTROYING
`, "ss"));

// ../shared/peers.md: what the v4.4.5 proxy sent for an h1 GET stream, then a tx on it (POLL, reconnect, GET again)
run("replay-peers-proxy-h1-get-then-poll", () => replay(`
  (unset) -> LWSSSCS_CREATING
  LWSSSCS_CREATING -> LWSSSCS_CONNECTING
  LWSSSCS_CONNECTING -> LWSSSCS_CONNECTED
  LWSSSCS_CONNECTED -> LWSSSCS_QOS_ACK_REMOTE
  LWSSSCS_QOS_ACK_REMOTE -> LWSSSCS_DISCONNECTED
  LWSSSCS_DISCONNECTED -> LWSSSCS_POLL
  LWSSSCS_POLL -> LWSSSCS_CONNECTING
  LWSSSCS_CONNECTING -> LWSSSCS_CONNECTED
`, "sspc"));

run("illegal-transition-refused-naming-a-to-b", () => {
  const j = transition(LWSSSCS_CONNECTED, LWSSSCS_CREATING);
  check(!j.ok, "CONNECTED -> CREATING allowed");
  if (j.ok) return;
  equal(j.transition, "LWSSSCS_CONNECTED -> LWSSSCS_CREATING", "transition");
  equal(j.message, "transition from LWSSSCS_CONNECTED -> LWSSSCS_CREATING is illegal", "message");
  equal(j.state, LWSSSCS_CONNECTED, "state kept");
});

run("first-state-is-creating-or-destroying", () => {
  const j = transition(0, numberOf("LWSSSCS_CONNECTING"));
  check(!j.ok && j.transition === "(unset) -> LWSSSCS_CONNECTING", "(unset) -> CONNECTING not refused by name");
  check(transition(0, LWSSSCS_CREATING).ok, "(unset) -> CREATING");
  check(transition(0, numberOf("LWSSSCS_DESTROYING")).ok, "(unset) -> DESTROYING");
});

run("destroying-is-final", () => {
  const destroying = numberOf("LWSSSCS_DESTROYING");
  for (let to = 0; to <= 16; to++) check(!transition(destroying, to).ok, `DESTROYING -> ${stateName(to)} allowed`);
});

run("user-states-waved-through-and-state-kept", () => {
  const j = transition(LWSSSCS_CONNECTED, LWSSSCS_USER_BASE);
  check(j.ok && j.waved && j.state === LWSSSCS_CONNECTED, "USER_BASE from CONNECTED");
  check(transition(LWSSSCS_CONNECTED, 1530, "sspc").ok, "1530 (an http_resp_map state) through sspc");
  // the next real transition is judged from CONNECTED, not from the user state
  const next = transition(j.state, numberOf("LWSSSCS_DISCONNECTED"));
  check(next.ok && next.state === numberOf("LWSSSCS_DISCONNECTED"), "CONNECTED -> DISCONNECTED after a user state");
});

run("event-wait-cancelled-waved-by-both-checkers", () => {
  const cancelled = numberOf("LWSSSCS_EVENT_WAIT_CANCELLED");
  for (const checker of ["ss", "sspc"] as const) {
    const j = transition(numberOf("LWSSSCS_DESTROYING"), cancelled, checker);
    check(j.ok && j.waved, `${checker}: EVENT_WAIT_CANCELLED after DESTROYING`);
  }
});

run("upstream-link-retry-ss-waves-sspc-refuses", () => {
  const retry = numberOf("LWSSSCS_UPSTREAM_LINK_RETRY"), connecting = numberOf("LWSSSCS_CONNECTING");
  const ss = transition(connecting, retry, "ss");
  check(ss.ok && ss.waved && ss.state === connecting, "ss waves UPSTREAM_LINK_RETRY");
  const sspc = transition(connecting, retry, "sspc");
  check(!sspc.ok, "sspc allowed UPSTREAM_LINK_RETRY");
  if (sspc.ok) return;
  equal(sspc.message, "bad new state 18", "message");
  equal(sspc.transition, "LWSSSCS_CONNECTING -> LWSSSCS_UPSTREAM_LINK_RETRY", "transition");
});

run("sink-states-are-bad-new-states", () => {
  for (const to of [19, 20]) {
    const j = transition(LWSSSCS_CREATING, to);
    check(!j.ok, `${to} allowed`);
    if (j.ok) continue;
    equal(j.message, `bad new state ${to}`, "message");
    equal(j.transition, "LWSSSCS_CREATING -> unknown", "transition");
  }
});

run("bad-existing-state-refused", () => {
  const j = transition(42, LWSSSCS_CREATING);
  check(!j.ok, "from 42 allowed");
  if (j.ok) return;
  equal(j.message, "bad existing state 42", "message");
  equal(j.transition, "unknown -> LWSSSCS_CREATING", "transition");
  equal(j.state, 42, "state kept");
});

run("mqtt-acks-may-repeat", () => {
  const ack = numberOf("LWSSSCS_QOS_ACK_REMOTE"), nack = numberOf("LWSSSCS_QOS_NACK_REMOTE");
  check(transition(ack, ack).ok, "ACK -> ACK");
  check(transition(ack, nack).ok, "ACK -> NACK");
  check(transition(nack, ack).ok, "NACK -> ACK");
});

run("lws-main-additions-refused-as-v4-4-5", () => {
  const pairs: Array<[string, string]> = [
    ["DISCONNECTED", "CONNECTED"], ["DISCONNECTED", "UNREACHABLE"], ["UNREACHABLE", "UNREACHABLE"],
    ["CONNECTED", "CONNECTING"], ["CONNECTING", "QOS_ACK_REMOTE"], ["ALL_RETRIES_FAILED", "POLL"],
    ["QOS_ACK_REMOTE", "CONNECTING"],
  ];
  for (const [from, to] of pairs) {
    check(!transition(numberOf(`LWSSSCS_${from}`), numberOf(`LWSSSCS_${to}`)).ok, `${from} -> ${to} allowed`);
  }
});

run("junk-never-throws", () => {
  for (const [from, to] of [[NaN, 1], [1, NaN], [-1, 1], [1, -1], [1.5, 6], [1, 6.5], [2 ** 40, 1], [1, 2 ** 40]]) {
    const j = transition(from!, to!);
    if (to! >= LWSSSCS_USER_BASE) check(j.ok, `${from} -> ${to}: user state refused`);
    else check(!j.ok, `${from} -> ${to} allowed`);
  }
});

trace("done\n");
