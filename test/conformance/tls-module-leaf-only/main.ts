// Rule (modules/tls over the board's TLS): through the project's TLS client (which guards the SDK's
// TLSSocket), this refusal fails the connection with a TLSError of code TLS_CERT_UNTRUSTED whose message keeps the
// board's ("TLS: certificate: auth err"), and the VM does not abort.
// Here: the server sends its leaf alone, without the issuing CA (the board's verifier checks names
// only while walking a chain of two or more).
import moduleCase from "conformance/module-case";

moduleCase("tls-module-leaf-only", "TLS_CERT_UNTRUSTED", "TLS: certificate: auth err");
