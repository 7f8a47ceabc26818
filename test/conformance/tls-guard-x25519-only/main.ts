// Rule (README, "What the simulator reproduces", TLS): a handshake failure is thrown from inside the TCP callback TLSSocket gave its TCP,
// so a TCP class passed as `TCP.io` that wraps the real TCP and runs each callback in try/catch receives it, with
// the board's message, and the VM does not abort.
// Here: the server's only ECDHE group is X25519; the board's only curve is secp256r1: "TLS: alert: 2, 40".
import guardCase from "conformance/guard-case";

guardCase("tls-guard-x25519-only", "TLS: alert: 2, 40");
