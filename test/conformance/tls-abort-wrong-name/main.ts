// Rule (README, "What the simulator reproduces", TLS): every handshake failure is an exception thrown from inside the TCP callback that
// TLSSocket gave its TCP. Unguarded, nothing catches it: the VM stops with "XS abort: unhandled exception" (a board
// reboots); it is not delivered to onError.
// Here: the leaf's only name is other.example; the device asks for localhost: "TLS: certificate: auth err".
// The device cannot report after an abort: it traces `expect-abort`, and the runner checks how the run ended.
import abortCase from "conformance/abort-case";

abortCase("tls-abort-wrong-name", "TLS: certificate: auth err");
