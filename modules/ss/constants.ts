// The libwebsockets Secure Streams constants, with lws' names and lws' numbers, in one place. The reference is
// lws v4.4.5 (the proxy our devices talk to, ../shared/peers.md; v4.3.10 numbers them the same, and lws main as
// fetched in 2026 has not renumbered any of them):
//   connection states, callback results, flags, LWS_SS_MTU   include/libwebsockets/lws-secure-streams.h
//   serialization prefixes, LWSSSS_VERSION, LPCS* states       include/libwebsockets/lws-secure-streams-serialization.h
//   state names                                               lib/secure-streams/secure-streams.c (lws_ss_state_name)
//   proxy connection state names                              lib/secure-streams/serialized/client/sspc-deserialize.c
//
// The numbers matter on the wire: a proxied stream's state travels as its number (CONNSTATE: 1 = CREATING,
// 5 = CONNECTED, 6 = CONNECTING), and callbacks return these results. The Doxygen page of the API lists the
// enum without values and without LWSSSCS_EVENT_WAIT_CANCELLED / LWSSSCS_UPSTREAM_LINK_RETRY; the header is what
// lws compiles, and it starts at 1 ("zero means unset") with those two states before SINK_JOIN.

// ---- Connection states (lws_ss_constate_t) -------------------------------------------------------------------

/** Not an lws name (lws writes 0, "zero means unset"): a stream before its first state; lws prints it "(unset)". */
export const LWSSSCS_UNSET = 0;
export const LWSSSCS_CREATING = 1;
export const LWSSSCS_DISCONNECTED = 2;
/** The ack argument is 1 when a DNS server could not be reached. */
export const LWSSSCS_UNREACHABLE = 3;
export const LWSSSCS_AUTH_FAILED = 4;
export const LWSSSCS_CONNECTED = 5;
export const LWSSSCS_CONNECTING = 6;
export const LWSSSCS_DESTROYING = 7;
export const LWSSSCS_POLL = 8;
/** Every retry the stream's backoff table allows has failed. */
export const LWSSSCS_ALL_RETRIES_FAILED = 9;
/** The remote peer received and acknowledged what was sent (h1: a good response; mqtt: PUBACK). */
export const LWSSSCS_QOS_ACK_REMOTE = 10;
export const LWSSSCS_QOS_NACK_REMOTE = 11;
/** The local proxy accepted the tx. */
export const LWSSSCS_QOS_ACK_LOCAL = 12;
export const LWSSSCS_QOS_NACK_LOCAL = 13;
/** The stream's own timeout (lws_ss_start_timeout) fired. */
export const LWSSSCS_TIMEOUT = 14;
export const LWSSSCS_SERVER_TXN = 15;
export const LWSSSCS_SERVER_UPGRADE = 16;
/** Someone cancelled the event wait (lws_cancel_service): transient, never judged. */
export const LWSSSCS_EVENT_WAIT_CANCELLED = 17;
/** A proxied stream is waiting for its link to the proxy; the ack argument is the ms spent trying so far. */
export const LWSSSCS_UPSTREAM_LINK_RETRY = 18;
export const LWSSSCS_SINK_JOIN = 19;
export const LWSSSCS_SINK_PART = 20;
/** States from here up are the application's own; lws passes them through without judging them. */
export const LWSSSCS_USER_BASE = 1000;

// ---- Callback results (lws_ss_state_return_t) ----------------------------------------------------------------

/** (*tx) only: send nothing this time, not even a zero-length frame. */
export const LWSSSSRET_TX_DONT_SEND = 1;
export const LWSSSSRET_OK = 0;
/** The caller should close the stream's connection (the stream itself lives on). */
export const LWSSSSRET_DISCONNECT_ME = -1;
/** The caller should destroy the stream. */
export const LWSSSSRET_DESTROY_ME = -2;

// ---- Payload flags (rx and tx) --------------------------------------------------------------------------------

/** The payload starts a message. */
export const LWSSS_FLAG_SOM = 1 << 0;
/** The payload ends a message. */
export const LWSSS_FLAG_EOM = 1 << 1;
/** Not a real tx: poll for rx if the protocol needs it. */
export const LWSSS_FLAG_POLL = 1 << 2;
/** A zero-length message opening a group of related messages. */
export const LWSSS_FLAG_RELATED_START = 1 << 3;
/** A zero-length message closing a group of related messages. */
export const LWSSS_FLAG_RELATED_END = 1 << 4;
/** The serialized payload starts with a rideshare name length and name. */
export const LWSSS_FLAG_RIDESHARE = 1 << 5;
/** The rx is JSON performance data (streams whose policy sets "perf"). */
export const LWSSS_FLAG_PERF_JSON = 1 << 6;

// ---- Stream creation flags (lws_ss_info_t.flags) ---------------------------------------------------------------

export const LWSSSINFLAGS_REGISTER_SINK = 1 << 0;
export const LWSSSINFLAGS_PROXIED = 1 << 1;
export const LWSSSINFLAGS_SERVER = 1 << 2;
export const LWSSSINFLAGS_ACCEPTED = 1 << 3;
export const LWSSSINFLAGS_ACCEPTED_SINK = 1 << 4;

// ---- Sizes and defaults ----------------------------------------------------------------------------------------

/** The largest payload lws hands a (*tx) callback at once. */
export const LWS_SS_MTU = 1540;
/** lws_ss_start_timeout(h, LWSSS_TIMEOUT_FROM_POLICY) uses the stream type's timeout_ms. */
export const LWSSS_TIMEOUT_FROM_POLICY = 0;

// ---- Serialized Secure Streams (the proxy link) ------------------------------------------------------------------
// Every frame is [prefix:1][rest-of-frame length:2, big-endian][body]. The bodies are drawn in the serializer's
// own module; peers.md records where lws' bytes differ from the header's comments (the bytes win).

/** The serialization protocol version a client asks for in STREAMTYPE. */
export const LWSSSS_VERSION = 1;

// Proxy -> client
export const LWSSS_SER_RXPRE_RX_PAYLOAD = 0x55;
export const LWSSS_SER_RXPRE_CREATE_RESULT = 0x56;
export const LWSSS_SER_RXPRE_CONNSTATE = 0x57;
export const LWSSS_SER_RXPRE_TXCR_UPDATE = 0x58;
export const LWSSS_SER_RXPRE_METADATA = 0x59;
/** Reserved by lws. */
export const LWSSS_SER_RXPRE_TLSNEG_ENCLAVE_SIGN = 0x5a;
export const LWSSS_SER_RXPRE_PERF = 0x5b;

// Client -> proxy
export const LWSSS_SER_TXPRE_STREAMTYPE = 0xaa;
export const LWSSS_SER_TXPRE_ONWARD_CONNECT = 0xab;
export const LWSSS_SER_TXPRE_DESTROYING = 0xac;
export const LWSSS_SER_TXPRE_TX_PAYLOAD = 0xad;
export const LWSSS_SER_TXPRE_METADATA = 0xae;
export const LWSSS_SER_TXPRE_TXCR_UPDATE = 0xaf;
export const LWSSS_SER_TXPRE_TIMEOUT_UPDATE = 0xb0;
export const LWSSS_SER_TXPRE_PAYLOAD_LENGTH_HINT = 0xb1;
/** Reserved by lws. */
export const LWSSS_SER_TXPRE_TLSNEG_ENCLAVE_SIGNED = 0xb2;
export const LWSSS_SER_TXPRE_LINK_VALIDITY_PROBE = 0xb3;

// ---- Proxy link states (lws_ss_conn_states_t): the proxy's side, then the client's ------------------------------

export const LPCSPROX_WAIT_INITIAL_TX = 1;
export const LPCSPROX_REPORTING_FAIL = 2;
export const LPCSPROX_REPORTING_OK = 3;
export const LPCSPROX_OPERATIONAL = 4;
export const LPCSPROX_DESTROYED = 5;
export const LPCSCLI_SENDING_INITIAL_TX = 6;
export const LPCSCLI_WAITING_CREATE_RESULT = 7;
export const LPCSCLI_LOCAL_CONNECTED = 8;
export const LPCSCLI_ONWARD_CONNECT = 9;
export const LPCSCLI_OPERATIONAL = 10;

// ---- The optional transport mux (lws_transport_mux framing over one link, eg a UART) ------------------------------

export const LWSSSS_LLM_CHANNEL_REQ = 0xf0;
export const LWSSSS_LLM_CHANNEL_ACK = 0xf1;
export const LWSSSS_LLM_CHANNEL_NACK = 0xf2;
export const LWSSSS_LLM_CHANNEL_CLOSE = 0xf3;
export const LWSSSS_LLM_CHANNEL_CLOSE_ACK = 0xf4;
export const LWSSSS_LLM_MUX = 0xf5;
export const LWSSSS_LLM_PING = 0xf6;
export const LWSSSS_LLM_PONG = 0xf7;
export const LWSSSS_LLM_PONGACK = 0xf8;
export const LWSSSS_LLM_RESET_TRANSPORT = 0xf9;

/** Transport mux link states (lws' LWSTM_*). */
export const LWSTM_TRANSPORT_DOWN = 0;
export const LWSTM_OPERATIONAL = 1;

/** Transport mux channel states (lws' LWSTMC_*). */
export const LWSTMC_PENDING_CREATE_CHANNEL = 0;
export const LWSTMC_AWAITING_CREATE_CHANNEL_ACK = 1;
export const LWSTMC_PENDING_CREATE_CHANNEL_NACK = 2;
export const LWSTMC_PENDING_CREATE_CHANNEL_ACK = 3;
export const LWSTMC_OPERATIONAL = 4;
export const LWSTMC_PENDING_CLOSE_CHANNEL = 5;
export const LWSTMC_AWAITING_CLOSE_CHANNEL_ACK = 6;
export const LWSTMC_PENDING_CLOSE_CHANNEL_ACK = 7;

// ---- Names, as lws prints them ------------------------------------------------------------------------------------

// lws' table of state names, indexed by state. It stops at UPSTREAM_LINK_RETRY: lws has no name for SINK_JOIN and
// SINK_PART, and lws_ss_state_name() answers "unknown" for them, as it does for any number past the table.
const STATE_NAMES: readonly string[] = Object.freeze([
  "(unset)",
  "LWSSSCS_CREATING",
  "LWSSSCS_DISCONNECTED",
  "LWSSSCS_UNREACHABLE",
  "LWSSSCS_AUTH_FAILED",
  "LWSSSCS_CONNECTED",
  "LWSSSCS_CONNECTING",
  "LWSSSCS_DESTROYING",
  "LWSSSCS_POLL",
  "LWSSSCS_ALL_RETRIES_FAILED",
  "LWSSSCS_QOS_ACK_REMOTE",
  "LWSSSCS_QOS_NACK_REMOTE",
  "LWSSSCS_QOS_ACK_LOCAL",
  "LWSSSCS_QOS_NACK_LOCAL",
  "LWSSSCS_TIMEOUT",
  "LWSSSCS_SERVER_TXN",
  "LWSSSCS_SERVER_UPGRADE",
  "LWSSSCS_EVENT_WAIT_CANCELLED",
  "LWSSSCS_UPSTREAM_LINK_RETRY",
]);

/**
 * The name lws_ss_state_name() gives a connection state: "LWSSSCS_CONNECTED", "(unset)" for 0, "user state" from
 * LWSSSCS_USER_BASE up, "unknown" otherwise (SINK_JOIN / SINK_PART included, as in lws). Never throws.
 */
export function stateName(state: number): string {
  if (typeof state !== "number" || !Number.isInteger(state)) return "unknown";
  if (state >= LWSSSCS_USER_BASE) return "user state";
  if (state < 0 || state >= STATE_NAMES.length) return "unknown";
  return STATE_NAMES[state]!;
}

// lws' debug names of the proxy link states, indexed by state; 0 is "unset".
const CONN_STATE_NAMES: readonly string[] = Object.freeze([
  "unset",
  "LPCSPROX_WAIT_INITIAL_TX",
  "LPCSPROX_REPORTING_FAIL",
  "LPCSPROX_REPORTING_OK",
  "LPCSPROX_OPERATIONAL",
  "LPCSPROX_DESTROYED",
  "LPCSCLI_SENDING_INITIAL_TX",
  "LPCSCLI_WAITING_CREATE_RESULT",
  "LPCSCLI_LOCAL_CONNECTED",
  "LPCSCLI_ONWARD_CONNECT",
  "LPCSCLI_OPERATIONAL",
]);

/** The name lws logs for a proxy link state ("LPCSCLI_LOCAL_CONNECTED"); "unknown" past the table. */
export function connStateName(state: number): string {
  if (typeof state !== "number" || !Number.isInteger(state) || state < 0 || state >= CONN_STATE_NAMES.length) {
    return "unknown";
  }
  return CONN_STATE_NAMES[state]!;
}
