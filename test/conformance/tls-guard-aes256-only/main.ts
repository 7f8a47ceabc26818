// Rule (README, "What the simulator reproduces", TLS): a handshake failure is thrown from inside the TCP callback TLSSocket gave its TCP,
// so a TCP class passed as `TCP.io` that wraps the real TCP and runs each callback in try/catch receives it, with
// the board's message, and the VM does not abort.
// Here: the server's only suite is ECDHE-ECDSA-AES256-GCM-SHA384, which the board does not offer: "TLS: alert: 2, 40".
import guardCase from "conformance/guard-case";

guardCase("tls-guard-aes256-only", "TLS: alert: 2, 40");
