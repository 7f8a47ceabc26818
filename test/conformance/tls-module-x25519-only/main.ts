// Rule (modules/tls over the board's TLS): through the project's TLS client (which guards the SDK's
// TLSSocket), this refusal fails the connection with a TLSError of code TLS_HANDSHAKE whose message keeps the
// board's ("TLS: alert: 2, 40"), and the VM does not abort.
// Here: the server's only ECDHE group is X25519; the board's only curve is secp256r1.
import moduleCase from "conformance/module-case";

moduleCase("tls-module-x25519-only", "TLS_HANDSHAKE", "TLS: alert: 2, 40");
