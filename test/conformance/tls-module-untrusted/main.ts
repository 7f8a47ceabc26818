// Rule (modules/tls over the board's TLS): through the project's TLS client (which guards the SDK's
// TLSSocket), this refusal fails the connection with a TLSError of code TLS_CERT_UNTRUSTED whose message keeps the
// board's ("TLS: certificate: auth err"), and the VM does not abort.
// Here: the server's leaf + CA come from a CA the device does not trust.
import moduleCase from "conformance/module-case";

moduleCase("tls-module-untrusted", "TLS_CERT_UNTRUSTED", "TLS: certificate: auth err");
