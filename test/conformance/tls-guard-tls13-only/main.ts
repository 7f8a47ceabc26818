// Rule (README, "What the simulator reproduces", TLS): a handshake failure is thrown from inside the TCP callback TLSSocket gave its TCP,
// so a TCP class passed as `TCP.io` that wraps the real TCP and runs each callback in try/catch receives it, with
// the board's message, and the VM does not abort.
// Here: the server accepts TLS 1.3 only; the board speaks TLS 1.2 only: "TLS: alert: 2, 70".
import guardCase from "conformance/guard-case";

guardCase("tls-guard-tls13-only", "TLS: alert: 2, 70");
