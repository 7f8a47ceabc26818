// Rule (README, "What the simulator reproduces", TLS): every handshake failure is an exception thrown from inside the TCP callback that
// TLSSocket gave its TCP. Unguarded, nothing catches it: the VM stops with "XS abort: unhandled exception" (a board
// reboots); it is not delivered to onError.
// Here: the server's only ECDHE group is X25519; the board's only curve is secp256r1: "TLS: alert: 2, 40".
// The device cannot report after an abort: it traces `expect-abort`, and the runner checks how the run ended.
import abortCase from "conformance/abort-case";

abortCase("tls-abort-x25519-only", "TLS: alert: 2, 40");
