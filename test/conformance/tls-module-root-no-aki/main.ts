// Rule (modules/tls over the board's TLS): through the project's TLS client (which guards the SDK's TLSSocket), this
// refusal fails the connection with a TLSError of the code below whose message keeps the board's words, and the VM
// does not abort.
// Here (TLS_CERT_CHAIN): a good leaf + its trusted root, but the root has no Authority Key Identifier: the board looks the trusted CA
// up by the AKI of the second certificate sent and throws TypeError "invalid buffer" (a good chain, refused).
import moduleCase from "conformance/module-case";

moduleCase("tls-module-root-no-aki", "TLS_CERT_CHAIN", "TypeError: invalid buffer");
