// Device-side tests for ss/constants: lws' Secure Streams numbers and names, checked inside XS against the values
// lws v4.4.5 compiles (include/libwebsockets/lws-secure-streams.h, lws-secure-streams-serialization.h) and the
// bytes peers.md observed on the wire. Reports "ok <name>" / "not ok <name> <why>" per case, then "done".
import * as ss from "ss/constants";

class Fail extends Error {}

function equal(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Fail(`${what}: expected ${String(expected)}, got ${String(actual)}`);
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

/** Checks [name, value] pairs against the module's exports of those names. */
function values(pairs: ReadonlyArray<readonly [string, number]>): void {
  const table = ss as unknown as Record<string, unknown>;
  for (const [name, value] of pairs) equal(table[name], value, name);
}

run("connection-state-values-as-lws-header", () => {
  values([
    ["LWSSSCS_CREATING", 1], ["LWSSSCS_DISCONNECTED", 2], ["LWSSSCS_UNREACHABLE", 3], ["LWSSSCS_AUTH_FAILED", 4],
    ["LWSSSCS_CONNECTED", 5], ["LWSSSCS_CONNECTING", 6], ["LWSSSCS_DESTROYING", 7], ["LWSSSCS_POLL", 8],
    ["LWSSSCS_ALL_RETRIES_FAILED", 9], ["LWSSSCS_QOS_ACK_REMOTE", 10], ["LWSSSCS_QOS_NACK_REMOTE", 11],
    ["LWSSSCS_QOS_ACK_LOCAL", 12], ["LWSSSCS_QOS_NACK_LOCAL", 13], ["LWSSSCS_TIMEOUT", 14],
    ["LWSSSCS_SERVER_TXN", 15], ["LWSSSCS_SERVER_UPGRADE", 16], ["LWSSSCS_EVENT_WAIT_CANCELLED", 17],
    ["LWSSSCS_UPSTREAM_LINK_RETRY", 18], ["LWSSSCS_SINK_JOIN", 19], ["LWSSSCS_SINK_PART", 20],
    ["LWSSSCS_USER_BASE", 1000], ["LWSSSCS_UNSET", 0],
  ]);
});

run("connection-states-on-the-wire-as-peers-observed", () => {
  // peers.md: CONNSTATE 1 = CREATING, then 6 = CONNECTING, 5 = CONNECTED; h1 ends 10 = QOS_ACK_REMOTE, 2 =
  // DISCONNECTED; a tx on a GET stream makes the proxy POLL (8).
  equal(ss.stateName(1), "LWSSSCS_CREATING", "1");
  equal(ss.stateName(6), "LWSSSCS_CONNECTING", "6");
  equal(ss.stateName(5), "LWSSSCS_CONNECTED", "5");
  equal(ss.stateName(10), "LWSSSCS_QOS_ACK_REMOTE", "10");
  equal(ss.stateName(2), "LWSSSCS_DISCONNECTED", "2");
  equal(ss.stateName(8), "LWSSSCS_POLL", "8");
});

run("state-names-as-lws-ss-state-name", () => {
  const names = [
    "(unset)", "LWSSSCS_CREATING", "LWSSSCS_DISCONNECTED", "LWSSSCS_UNREACHABLE", "LWSSSCS_AUTH_FAILED",
    "LWSSSCS_CONNECTED", "LWSSSCS_CONNECTING", "LWSSSCS_DESTROYING", "LWSSSCS_POLL", "LWSSSCS_ALL_RETRIES_FAILED",
    "LWSSSCS_QOS_ACK_REMOTE", "LWSSSCS_QOS_NACK_REMOTE", "LWSSSCS_QOS_ACK_LOCAL", "LWSSSCS_QOS_NACK_LOCAL",
    "LWSSSCS_TIMEOUT", "LWSSSCS_SERVER_TXN", "LWSSSCS_SERVER_UPGRADE", "LWSSSCS_EVENT_WAIT_CANCELLED",
    "LWSSSCS_UPSTREAM_LINK_RETRY",
  ];
  for (let i = 0; i < names.length; i++) equal(ss.stateName(i), names[i], `stateName(${i})`);
});

run("state-name-user-unknown-and-junk", () => {
  equal(ss.stateName(1000), "user state", "USER_BASE");
  equal(ss.stateName(1234), "user state", "1234");
  // lws' name table stops before SINK_JOIN / SINK_PART: lws_ss_state_name() calls them "unknown"
  equal(ss.stateName(19), "unknown", "SINK_JOIN");
  equal(ss.stateName(20), "unknown", "SINK_PART");
  equal(ss.stateName(999), "unknown", "999");
  equal(ss.stateName(-1), "unknown", "-1");
  equal(ss.stateName(2.5), "unknown", "2.5");
  equal(ss.stateName(NaN), "unknown", "NaN");
  equal(ss.stateName(undefined as unknown as number), "unknown", "undefined");
});

run("callback-results-as-lws", () => {
  values([["LWSSSSRET_TX_DONT_SEND", 1], ["LWSSSSRET_OK", 0], ["LWSSSSRET_DISCONNECT_ME", -1], ["LWSSSSRET_DESTROY_ME", -2]]);
});

run("payload-flags-as-lws", () => {
  values([
    ["LWSSS_FLAG_SOM", 1], ["LWSSS_FLAG_EOM", 2], ["LWSSS_FLAG_POLL", 4], ["LWSSS_FLAG_RELATED_START", 8],
    ["LWSSS_FLAG_RELATED_END", 16], ["LWSSS_FLAG_RIDESHARE", 32], ["LWSSS_FLAG_PERF_JSON", 64],
  ]);
  // peers.md: a TX_PAYLOAD carries flags 00 00 00 03 = SOM | EOM
  equal(ss.LWSSS_FLAG_SOM | ss.LWSSS_FLAG_EOM, 3, "SOM|EOM");
});

run("creation-flags-as-lws", () => {
  values([
    ["LWSSSINFLAGS_REGISTER_SINK", 1], ["LWSSSINFLAGS_PROXIED", 2], ["LWSSSINFLAGS_SERVER", 4],
    ["LWSSSINFLAGS_ACCEPTED", 8], ["LWSSSINFLAGS_ACCEPTED_SINK", 16],
  ]);
});

run("sizes-and-defaults", () => {
  values([["LWS_SS_MTU", 1540], ["LWSSS_TIMEOUT_FROM_POLICY", 0], ["LWSSSS_VERSION", 1]]);
});

run("serialization-prefixes-proxy-to-client", () => {
  values([
    ["LWSSS_SER_RXPRE_RX_PAYLOAD", 0x55], ["LWSSS_SER_RXPRE_CREATE_RESULT", 0x56], ["LWSSS_SER_RXPRE_CONNSTATE", 0x57],
    ["LWSSS_SER_RXPRE_TXCR_UPDATE", 0x58], ["LWSSS_SER_RXPRE_METADATA", 0x59],
    ["LWSSS_SER_RXPRE_TLSNEG_ENCLAVE_SIGN", 0x5a], ["LWSSS_SER_RXPRE_PERF", 0x5b],
  ]);
});

run("serialization-prefixes-client-to-proxy", () => {
  values([
    ["LWSSS_SER_TXPRE_STREAMTYPE", 0xaa], ["LWSSS_SER_TXPRE_ONWARD_CONNECT", 0xab], ["LWSSS_SER_TXPRE_DESTROYING", 0xac],
    ["LWSSS_SER_TXPRE_TX_PAYLOAD", 0xad], ["LWSSS_SER_TXPRE_METADATA", 0xae], ["LWSSS_SER_TXPRE_TXCR_UPDATE", 0xaf],
    ["LWSSS_SER_TXPRE_TIMEOUT_UPDATE", 0xb0], ["LWSSS_SER_TXPRE_PAYLOAD_LENGTH_HINT", 0xb1],
    ["LWSSS_SER_TXPRE_TLSNEG_ENCLAVE_SIGNED", 0xb2], ["LWSSS_SER_TXPRE_LINK_VALIDITY_PROBE", 0xb3],
  ]);
});

run("proxy-link-states-and-names", () => {
  const names = [
    "unset", "LPCSPROX_WAIT_INITIAL_TX", "LPCSPROX_REPORTING_FAIL", "LPCSPROX_REPORTING_OK", "LPCSPROX_OPERATIONAL",
    "LPCSPROX_DESTROYED", "LPCSCLI_SENDING_INITIAL_TX", "LPCSCLI_WAITING_CREATE_RESULT", "LPCSCLI_LOCAL_CONNECTED",
    "LPCSCLI_ONWARD_CONNECT", "LPCSCLI_OPERATIONAL",
  ];
  const table = ss as unknown as Record<string, unknown>;
  for (let i = 1; i < names.length; i++) equal(table[names[i]!], i, names[i]!);
  for (let i = 0; i < names.length; i++) equal(ss.connStateName(i), names[i], `connStateName(${i})`);
  equal(ss.connStateName(11), "unknown", "connStateName(11)");
  equal(ss.connStateName(-1), "unknown", "connStateName(-1)");
});

run("transport-mux-prefixes", () => {
  values([
    ["LWSSSS_LLM_CHANNEL_REQ", 0xf0], ["LWSSSS_LLM_CHANNEL_ACK", 0xf1], ["LWSSSS_LLM_CHANNEL_NACK", 0xf2],
    ["LWSSSS_LLM_CHANNEL_CLOSE", 0xf3], ["LWSSSS_LLM_CHANNEL_CLOSE_ACK", 0xf4], ["LWSSSS_LLM_MUX", 0xf5],
    ["LWSSSS_LLM_PING", 0xf6], ["LWSSSS_LLM_PONG", 0xf7], ["LWSSSS_LLM_PONGACK", 0xf8],
    ["LWSSSS_LLM_RESET_TRANSPORT", 0xf9],
  ]);
});

trace("done\n");
