// Rule (modules/tls over moddable-platform.md, TLS): through the project's TLS client (which guards the SDK's
// TLSSocket), this refusal fails the connection with a TLSError of code TLS_CERT_UNTRUSTED whose message keeps the
// board's ("TLS: certificate: auth err"), and the VM does not abort.
// Here: the leaf (issued by the trusted CA) expired in 2020.
import moduleCase from "conformance/module-case";

moduleCase("tls-module-expired", "TLS_CERT_UNTRUSTED", "TLS: certificate: auth err");
