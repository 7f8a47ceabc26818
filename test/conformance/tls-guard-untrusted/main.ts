// Rule (README, "What the simulator reproduces", TLS): a handshake failure is thrown from inside the TCP callback TLSSocket gave its TCP,
// so a TCP class passed as `TCP.io` that wraps the real TCP and runs each callback in try/catch receives it, with
// the board's message, and the VM does not abort.
// Here: the server's leaf + CA come from a CA the device does not trust: "TLS: certificate: auth err".
import guardCase from "conformance/guard-case";

guardCase("tls-guard-untrusted", "TLS: certificate: auth err");
