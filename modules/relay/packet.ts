// relay/packet: the decrypted packets of the Tox TCP relay, shared by the device client and the Node server.
// Plain functions over byte views, no I/O: encoders write into a buffer the caller owns and return the length;
// checks say why a packet is refused (the reasons c-toxcore's TCP_server.c / TCP_client.c drop a connection for,
// as tox-bootstrapd 0.2.18 shows them on the wire, ../shared/peers.md), or undefined when it is well formed.
// Frames: frameLength() reads the u16 prefix and tells "need more bytes" (-1) from "bad frame" (-2).
//
//   routing request      client -> relay   [0][public key 32]                         33 bytes
//   routing response     relay -> client   [1][connection id][public key 32]          34 bytes (id 0 = refused)
//   connect notification relay -> client   [2][connection id]                          2 bytes
//   disconnect           both ways         [3][connection id]                          2 bytes
//   ping / pong          both ways         [4 | 5][ping id 8]                          9 bytes
//   OOB send             client -> relay   [6][destination public key 32][data 1-1024]
//   OOB receive          relay -> client   [7][sender public key 32][data 1-1024]
//   onion request / response, forward request / forwarding: 8 / 9, 10 / 11 (not relayed by tools/relay)
//   data                 both ways         [connection id 16-255][data]                at most 2032 bytes
import {
  CRYPTO_MAC_SIZE, CRYPTO_PUBLIC_KEY_SIZE, MAX_PACKET_SIZE, MAX_PLAIN_SIZE, NUM_RESERVED_PORTS,
  TCP_MAX_OOB_DATA_LENGTH, TCP_PACKET_CONNECTION_NOTIFICATION, TCP_PACKET_DISCONNECT_NOTIFICATION,
  TCP_PACKET_FORWARD_REQUEST, TCP_PACKET_FORWARDING, TCP_PACKET_OOB_RECV, TCP_PACKET_OOB_SEND, TCP_PACKET_ONION_REQUEST,
  TCP_PACKET_ONION_RESPONSE, TCP_PACKET_PING, TCP_PACKET_PONG, TCP_PACKET_ROUTING_REQUEST, TCP_PACKET_ROUTING_RESPONSE,
  TCP_PING_SIZE,
} from "relay/constants";

/** frameLength: not enough bytes for the prefix yet. */
export const NEED_MORE = -1;
/** frameLength: the prefix is larger than MAX_PACKET_SIZE (the relay drops the connection). */
export const BAD_FRAME = -2;

/**
 * The body length a frame's u16 prefix announces, from the first two bytes of `bytes`: NEED_MORE when fewer than
 * two, BAD_FRAME above 2048. 0 is a frame c-toxcore skips (it reads the prefix and waits for the next one);
 * 1 to 16 can never authenticate (the caller treats them as bad once read).
 */
export function frameLength(bytes: Uint8Array, available = bytes.byteLength): number {
  if (available < 2) return NEED_MORE;
  const length = (bytes[0]! << 8) | bytes[1]!;
  return length > MAX_PACKET_SIZE ? BAD_FRAME : length;
}

function writeKey(out: Uint8Array, at: number, key: Uint8Array): void {
  if (key.byteLength !== CRYPTO_PUBLIC_KEY_SIZE) throw new RangeError("relay: a public key is 32 bytes");
  out.set(key, at);
}

export function routingRequest(out: Uint8Array, key: Uint8Array): number {
  out[0] = TCP_PACKET_ROUTING_REQUEST;
  writeKey(out, 1, key);
  return 1 + CRYPTO_PUBLIC_KEY_SIZE;
}

export function routingResponse(out: Uint8Array, connectionId: number, key: Uint8Array): number {
  out[0] = TCP_PACKET_ROUTING_RESPONSE;
  out[1] = connectionId;
  writeKey(out, 2, key);
  return 2 + CRYPTO_PUBLIC_KEY_SIZE;
}

export function connectNotification(out: Uint8Array, connectionId: number): number {
  out[0] = TCP_PACKET_CONNECTION_NOTIFICATION;
  out[1] = connectionId;
  return 2;
}

export function disconnectNotification(out: Uint8Array, connectionId: number): number {
  out[0] = TCP_PACKET_DISCONNECT_NOTIFICATION;
  out[1] = connectionId;
  return 2;
}

/** Ping or pong ([4 | 5][8-byte id]); the id is copied from id[0, 8). */
export function pingPacket(out: Uint8Array, type: typeof TCP_PACKET_PING | typeof TCP_PACKET_PONG, id: Uint8Array): number {
  out[0] = type;
  out.set(id.subarray(0, 8), 1);
  return TCP_PING_SIZE;
}

/** OOB send or receive: [6 | 7][key][data]; data must be 1 to 1024 bytes. */
export function oobPacket(out: Uint8Array, type: typeof TCP_PACKET_OOB_SEND | typeof TCP_PACKET_OOB_RECV, key: Uint8Array,
  data: Uint8Array, offset = 0, length = data.byteLength - offset): number {
  if (length < 1 || length > TCP_MAX_OOB_DATA_LENGTH) throw new RangeError("relay: OOB data is 1 to " + TCP_MAX_OOB_DATA_LENGTH + " bytes");
  out[0] = type;
  writeKey(out, 1, key);
  out.set(data.subarray(offset, offset + length), 1 + CRYPTO_PUBLIC_KEY_SIZE);
  return 1 + CRYPTO_PUBLIC_KEY_SIZE + length;
}

/** Link data: [connection id][data]; at most MAX_PLAIN_SIZE bytes in all. */
export function dataPacket(out: Uint8Array, connectionId: number, data: Uint8Array, offset = 0, length = data.byteLength - offset): number {
  if (connectionId < NUM_RESERVED_PORTS || connectionId > 255) throw new RangeError("relay: connection ids are 16-255");
  if (1 + length > MAX_PLAIN_SIZE) throw new RangeError("relay: link data is at most " + (MAX_PLAIN_SIZE - 1) + " bytes a packet");
  out[0] = connectionId;
  out.set(data.subarray(offset, offset + length), 1);
  return 1 + length;
}

/** The 8-byte ping id as two 32-bit halves, both 0 for id 0 (pong id 0 drops a client; ping id 0 is answered). */
export function pingIdIsZero(packet: Uint8Array): boolean {
  for (let i = 1; i < TCP_PING_SIZE; i++) if (packet[i] !== 0) return false;
  return true;
}

/**
 * Why the relay drops a client for this packet, or undefined when it is well formed: the checks of c-toxcore's
 * handle_tcp_packet (what it cannot tell without its connection table, data on an unused id or a disconnect for an
 * unused slot, the relay checks itself).
 */
export function clientPacketProblem(packet: Uint8Array): string | undefined {
  const length = packet.byteLength;
  if (length === 0) return "empty packet";
  const type = packet[0]!;
  switch (type) {
    case TCP_PACKET_ROUTING_REQUEST:
      return length === 1 + CRYPTO_PUBLIC_KEY_SIZE ? undefined : "routing request of " + length + " bytes (33 expected)";
    case TCP_PACKET_CONNECTION_NOTIFICATION:
    case TCP_PACKET_DISCONNECT_NOTIFICATION:
      return length === 2 ? undefined : "notification of " + length + " bytes (2 expected)";
    case TCP_PACKET_PING:
      return length === TCP_PING_SIZE ? undefined : "ping of " + length + " bytes (9 expected)";
    case TCP_PACKET_PONG:
      if (length !== TCP_PING_SIZE) return "pong of " + length + " bytes (9 expected)";
      return pingIdIsZero(packet) ? "pong with ping id 0" : undefined;
    case TCP_PACKET_OOB_SEND:
      if (length <= 1 + CRYPTO_PUBLIC_KEY_SIZE) return "OOB send without data";
      return length - 1 - CRYPTO_PUBLIC_KEY_SIZE > TCP_MAX_OOB_DATA_LENGTH ? "OOB data over " + TCP_MAX_OOB_DATA_LENGTH + " bytes" : undefined;
    case TCP_PACKET_ONION_REQUEST:
      return undefined; // read and ignored: this relay has no onion (c-toxcore without onion does the same)
    case TCP_PACKET_FORWARD_REQUEST:
      return "forward request (this relay does not forward)";
    case TCP_PACKET_ROUTING_RESPONSE:
    case TCP_PACKET_OOB_RECV:
    case TCP_PACKET_ONION_RESPONSE:
    case TCP_PACKET_FORWARDING:
      return "packet id " + type + " is sent by relays, not clients";
    default:
      return type < NUM_RESERVED_PORTS ? "reserved packet id " + type : undefined;
  }
}

/**
 * Why a client drops the relay for this packet (c-toxcore's TCP_client.c checks), or undefined when well formed.
 * Onion responses and forwarding (9, 11) are well formed and ignored by the caller.
 */
export function relayPacketProblem(packet: Uint8Array): string | undefined {
  const length = packet.byteLength;
  if (length <= 1) return "packet of " + length + " bytes";
  const type = packet[0]!;
  switch (type) {
    case TCP_PACKET_ROUTING_RESPONSE:
      return length === 2 + CRYPTO_PUBLIC_KEY_SIZE ? undefined : "routing response of " + length + " bytes (34 expected)";
    case TCP_PACKET_CONNECTION_NOTIFICATION:
    case TCP_PACKET_DISCONNECT_NOTIFICATION:
      if (length !== 2) return "notification of " + length + " bytes (2 expected)";
      return packet[1]! < NUM_RESERVED_PORTS ? "notification for connection id " + packet[1] : undefined;
    case TCP_PACKET_PING:
    case TCP_PACKET_PONG:
      return length === TCP_PING_SIZE ? undefined : (type === TCP_PACKET_PING ? "ping" : "pong") + " of " + length + " bytes (9 expected)";
    case TCP_PACKET_OOB_RECV:
      return length > 1 + CRYPTO_PUBLIC_KEY_SIZE ? undefined : "OOB receive without data";
    case TCP_PACKET_ONION_RESPONSE:
    case TCP_PACKET_FORWARDING:
      return undefined;
    default:
      return type < NUM_RESERVED_PORTS ? "packet id " + type + " is not sent by relays" : undefined;
  }
}

/** Bytes a frame with a packet of `plain` bytes takes on the wire. */
export function frameSize(plain: number): number {
  return 2 + plain + CRYPTO_MAC_SIZE;
}
