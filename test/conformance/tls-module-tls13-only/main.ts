// Rule (modules/tls over the board's TLS): through the project's TLS client (which guards the SDK's
// TLSSocket), this refusal fails the connection with a TLSError of code TLS_HANDSHAKE whose message keeps the
// board's ("TLS: alert: 2, 70"), and the VM does not abort.
// Here: the server accepts TLS 1.3 only; the board speaks TLS 1.2 only.
import moduleCase from "conformance/module-case";

moduleCase("tls-module-tls13-only", "TLS_HANDSHAKE", "TLS: alert: 2, 70");
