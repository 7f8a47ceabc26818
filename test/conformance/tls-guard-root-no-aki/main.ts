// Rule (README, "What the simulator reproduces", TLS): a handshake failure is thrown from inside the TCP callback
// TLSSocket gave its TCP, so a TCP class passed as `TCP.io` that wraps the real TCP and runs each callback in
// try/catch receives it, with the board's error, and the VM does not abort.
// Here: a good leaf + its trusted root, but the root has no Authority Key Identifier: the board looks the trusted CA
// up by the AKI of the second certificate sent and throws TypeError "invalid buffer" (a good chain, refused).
import guardCase from "conformance/guard-case";

guardCase("tls-guard-root-no-aki", "TypeError: invalid buffer");
