// Rule (README, "What the simulator reproduces", TLS): every handshake failure is an exception thrown from inside
// the TCP callback that TLSSocket gave its TCP. Unguarded, nothing catches it: the VM stops with "XS abort:
// unhandled exception" (a board reboots); it is not delivered to onError.
// Here: a good leaf + its trusted root, but the root has no Authority Key Identifier: the board looks the trusted CA
// up by the AKI of the second certificate sent and throws TypeError "invalid buffer" (a good chain, refused).
// The device cannot report after an abort: it traces `expect-abort`, and the runner checks how the run ended.
import abortCase from "conformance/abort-case";

abortCase("tls-abort-root-no-aki", "TypeError: invalid buffer");
