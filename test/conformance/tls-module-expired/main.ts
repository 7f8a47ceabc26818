// Rule (modules/tls over the board's TLS): through the project's TLS client (which guards the SDK's TLSSocket), this
// refusal fails the connection with a TLSError of the code below whose message keeps the board's words, and the VM
// does not abort.
// Here (TLS_CERT_EXPIRED): the leaf (issued by the trusted CA) expired in 2020: the board's verifier logs "date validation failed on
// received certificate", accepts the chain, then throws Error "date validation failed" when it registers the leaf.
import moduleCase from "conformance/module-case";

moduleCase("tls-module-expired", "TLS_CERT_EXPIRED", "Error: date validation failed");
