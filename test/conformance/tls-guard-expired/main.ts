// Rule (README, "What the simulator reproduces", TLS): a handshake failure is thrown from inside the TCP callback
// TLSSocket gave its TCP, so a TCP class passed as `TCP.io` that wraps the real TCP and runs each callback in
// try/catch receives it, with the board's error, and the VM does not abort.
// Here: the leaf (issued by the trusted CA) expired in 2020: the board's verifier logs "date validation failed on
// received certificate", accepts the chain, then throws Error "date validation failed" when it registers the leaf.
import guardCase from "conformance/guard-case";

guardCase("tls-guard-expired", "Error: date validation failed");
