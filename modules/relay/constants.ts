// The Tox TCP relay protocol's numbers, with c-toxcore's names (toxcore/TCP_common.h, TCP_server.h, crypto_core.h)
// and the limits tox-bootstrapd 0.2.18 keeps on the wire (../shared/peers.md). Shared by the device client
// (modules/relay/client) and the Node server (tools/relay): one file per protocol.

/** Packet ids: the first byte of every decrypted packet. Ids 16-255 are data for a link (connection id). */
export const TCP_PACKET_ROUTING_REQUEST = 0;
export const TCP_PACKET_ROUTING_RESPONSE = 1;
export const TCP_PACKET_CONNECTION_NOTIFICATION = 2;
export const TCP_PACKET_DISCONNECT_NOTIFICATION = 3;
export const TCP_PACKET_PING = 4;
export const TCP_PACKET_PONG = 5;
export const TCP_PACKET_OOB_SEND = 6;
export const TCP_PACKET_OOB_RECV = 7;
export const TCP_PACKET_ONION_REQUEST = 8;
export const TCP_PACKET_ONION_RESPONSE = 9;
export const TCP_PACKET_FORWARD_REQUEST = 10;
export const TCP_PACKET_FORWARDING = 11;

/** Ids below this are packet types; a link's connection id is 16-255 (0 in a routing response = refused). */
export const NUM_RESERVED_PORTS = 16;
/** Link slots per connection at the relay. */
export const NUM_CLIENT_CONNECTIONS = 256 - NUM_RESERVED_PORTS;

export const CRYPTO_PUBLIC_KEY_SIZE = 32;
export const CRYPTO_SECRET_KEY_SIZE = 32;
export const CRYPTO_SHARED_KEY_SIZE = 32;
export const CRYPTO_NONCE_SIZE = 24;
export const CRYPTO_MAC_SIZE = 16;

/** Handshake: client -> relay [pk 32][nonce 24][box(temp pk 32 + base nonce 24) 72], relay -> client [nonce 24][box 72]. */
export const TCP_HANDSHAKE_PLAIN_SIZE = CRYPTO_PUBLIC_KEY_SIZE + CRYPTO_NONCE_SIZE;
export const TCP_SERVER_HANDSHAKE_SIZE = CRYPTO_NONCE_SIZE + TCP_HANDSHAKE_PLAIN_SIZE + CRYPTO_MAC_SIZE;
export const TCP_CLIENT_HANDSHAKE_SIZE = CRYPTO_PUBLIC_KEY_SIZE + TCP_SERVER_HANDSHAKE_SIZE;

/** Largest encrypted frame body (the u16 length says at most this): 2032 plaintext bytes, 2031 of link data. */
export const MAX_PACKET_SIZE = 2048;
/** Bytes of the length prefix before each encrypted frame (big-endian). */
export const TCP_LENGTH_SIZE = 2;
/** Largest decrypted packet. */
export const MAX_PLAIN_SIZE = MAX_PACKET_SIZE - CRYPTO_MAC_SIZE;
/** Largest data payload of one link packet (after the connection id byte). */
export const MAX_LINK_DATA = MAX_PLAIN_SIZE - 1;
/** OOB data: 1 to 1024 bytes. */
export const TCP_MAX_OOB_DATA_LENGTH = 1024;

/** The relay pings each confirmed client every 30 s (from when it was confirmed) and wants the pong within 10 s. */
export const TCP_PING_FREQUENCY = 30;
export const TCP_PING_TIMEOUT = 10;
/** Ping and pong packets: [id][8-byte ping id]. */
export const TCP_PING_SIZE = 9;
