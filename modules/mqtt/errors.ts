// Error codes of the MQTT client (modules/mqtt), in one place. Every failure a caller sees, or the client logs, is
// an MQTTError: one of these codes plus a human message. Failures of the byte connection under it keep that
// connection's own code and words in the message ("MQTT_TRANSPORT: TLS_CERT_UNTRUSTED: server certificate ...").
//   MQTT_BAD_ARGUMENT       a bad option, topic, filter, QoS or payload given to the client or an encoder
//   MQTT_PACKET_TOO_LARGE   a packet larger than the configured maximum: refused to send, or announced by the broker
//                           (its fixed header is enough to refuse it; nothing is allocated for it)
//   MQTT_BAD_PACKET         the broker sent bytes that are not an MQTT 3.1.1 packet (the decoder's reason is kept)
//   MQTT_PROTOCOL           a well-formed packet a broker must not send (a CONNECT, a second CONNACK, QoS 2, ...)
//   MQTT_CONNECT_REFUSED    CONNACK with a non-zero return code (named as the spec names it)
//   MQTT_SUBSCRIBE_REFUSED  SUBACK return code 0x80 (Failure)
//   MQTT_TIMEOUT            a wait ran out: no CONNACK within connectTimeout, no SUBACK/UNSUBACK, ready/flushed
//   MQTT_PING_TIMEOUT       no PINGRESP within the keep-alive after a PINGREQ
//   MQTT_TRANSPORT          the byte connection could not be opened (DNS, TCP, TLS: its code is in the message)
//   MQTT_CONNECTION_LOST    the byte connection ended after it was open (peer close or reset)
//   MQTT_BUSY               a fixed table is full (pending subscribe requests, subscriptions, waiters)
//   MQTT_CLOSED             the client was used after close()

export const MQTT_BAD_ARGUMENT = "MQTT_BAD_ARGUMENT";
export const MQTT_PACKET_TOO_LARGE = "MQTT_PACKET_TOO_LARGE";
export const MQTT_BAD_PACKET = "MQTT_BAD_PACKET";
export const MQTT_PROTOCOL = "MQTT_PROTOCOL";
export const MQTT_CONNECT_REFUSED = "MQTT_CONNECT_REFUSED";
export const MQTT_SUBSCRIBE_REFUSED = "MQTT_SUBSCRIBE_REFUSED";
export const MQTT_TIMEOUT = "MQTT_TIMEOUT";
export const MQTT_PING_TIMEOUT = "MQTT_PING_TIMEOUT";
export const MQTT_TRANSPORT = "MQTT_TRANSPORT";
export const MQTT_CONNECTION_LOST = "MQTT_CONNECTION_LOST";
export const MQTT_BUSY = "MQTT_BUSY";
export const MQTT_CLOSED = "MQTT_CLOSED";

export type MQTTErrorCode =
  | typeof MQTT_BAD_ARGUMENT | typeof MQTT_PACKET_TOO_LARGE | typeof MQTT_BAD_PACKET | typeof MQTT_PROTOCOL
  | typeof MQTT_CONNECT_REFUSED | typeof MQTT_SUBSCRIBE_REFUSED | typeof MQTT_TIMEOUT | typeof MQTT_PING_TIMEOUT
  | typeof MQTT_TRANSPORT | typeof MQTT_CONNECTION_LOST | typeof MQTT_BUSY | typeof MQTT_CLOSED;

export class MQTTError extends Error {
  readonly code: MQTTErrorCode;
  constructor(code: MQTTErrorCode, message: string) {
    super(message);
    this.code = code;
  }
  override toString(): string { return `${this.code}: ${this.message}`; }
}
