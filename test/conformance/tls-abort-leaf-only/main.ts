// Rule (README, "What the simulator reproduces", TLS): every handshake failure is an exception thrown from inside the TCP callback that
// TLSSocket gave its TCP. Unguarded, nothing catches it: the VM stops with "XS abort: unhandled exception" (a board
// reboots); it is not delivered to onError.
// Here: the server sends its leaf alone, without the issuing CA (the board's verifier checks names
// only while walking a chain of two or more): "TLS: certificate: auth err".
// The device cannot report after an abort: it traces `expect-abort`, and the runner checks how the run ended.
import abortCase from "conformance/abort-case";

abortCase("tls-abort-leaf-only", "TLS: certificate: auth err");
