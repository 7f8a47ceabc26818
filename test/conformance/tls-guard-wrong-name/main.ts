// Rule (README, "What the simulator reproduces", TLS): a handshake failure is thrown from inside the TCP callback TLSSocket gave its TCP,
// so a TCP class passed as `TCP.io` that wraps the real TCP and runs each callback in try/catch receives it, with
// the board's message, and the VM does not abort.
// Here: the leaf's only name is other.example; the device asks for localhost: "TLS: certificate: auth err".
import guardCase from "conformance/guard-case";

guardCase("tls-guard-wrong-name", "TLS: certificate: auth err");
