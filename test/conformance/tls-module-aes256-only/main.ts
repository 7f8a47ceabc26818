// Rule (modules/tls over the board's TLS): through the project's TLS client (which guards the SDK's
// TLSSocket), this refusal fails the connection with a TLSError of code TLS_HANDSHAKE whose message keeps the
// board's ("TLS: alert: 2, 40"), and the VM does not abort.
// Here: the server's only suite is ECDHE-ECDSA-AES256-GCM-SHA384, which the board does not offer.
import moduleCase from "conformance/module-case";

moduleCase("tls-module-aes256-only", "TLS_HANDSHAKE", "TLS: alert: 2, 40");
