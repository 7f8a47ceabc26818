// Rule (README, "What the simulator reproduces", TLS): a server that sends its leaf and an intermediate CA (as public
// servers do), with the root that issued the intermediate given in secure.certificate, passes: the board finds the
// root by the intermediate's Authority Key Identifier.
// Unguarded: a refusal would abort the VM, which the runner reports as a failure.
import handshakeCase from "conformance/handshake-case";

handshakeCase("tls-ok-intermediate");
