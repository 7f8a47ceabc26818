// Rule (README, "What the simulator reproduces", TLS): every handshake failure is an exception thrown from inside the TCP callback that
// TLSSocket gave its TCP. Unguarded, nothing catches it: the VM stops with "XS abort: unhandled exception" (a board
// reboots); it is not delivered to onError.
// Here: the server accepts TLS 1.3 only; the board speaks TLS 1.2 only: "TLS: alert: 2, 70".
// The device cannot report after an abort: it traces `expect-abort`, and the runner checks how the run ended.
import abortCase from "conformance/abort-case";

abortCase("tls-abort-tls13-only", "TLS: alert: 2, 70");
