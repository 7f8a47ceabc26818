// Rule (README, "What the simulator reproduces", TLS): every handshake failure is an exception thrown from inside
// the TCP callback that TLSSocket gave its TCP. Unguarded, nothing catches it: the VM stops with "XS abort:
// unhandled exception" (a board reboots); it is not delivered to onError.
// Here: the leaf (issued by the trusted CA) expired in 2020: the board's verifier logs "date validation failed on
// received certificate", accepts the chain, then throws Error "date validation failed" when it registers the leaf.
// The device cannot report after an abort: it traces `expect-abort`, and the runner checks how the run ended.
import abortCase from "conformance/abort-case";

abortCase("tls-abort-expired", "Error: date validation failed");
