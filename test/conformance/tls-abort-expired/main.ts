// Rule (moddable-platform.md, TLS): every handshake failure is an exception thrown from inside the TCP callback that
// TLSSocket gave its TCP. Unguarded, nothing catches it: the VM stops with "XS abort: unhandled exception" (a board
// reboots); it is not delivered to onError.
// Here: the leaf (issued by the trusted CA) expired in 2020: "TLS: certificate: auth err".
// The device cannot report after an abort: it traces `expect-abort`, and the runner checks how the run ended.
import abortCase from "conformance/abort-case";

abortCase("tls-abort-expired", "TLS: certificate: auth err");
