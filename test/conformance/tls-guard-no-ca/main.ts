// Rule (README, "What the simulator reproduces", TLS): a handshake failure is thrown from inside the TCP callback TLSSocket gave its TCP,
// so a TCP class passed as `TCP.io` that wraps the real TCP and runs each callback in try/catch receives it, with
// the board's message, and the VM does not abort.
// Here: a good server (leaf + CA), but the device gives no CA, so verification fails: "TLS: certificate: auth err".
import guardCase from "conformance/guard-case";

guardCase("tls-guard-no-ca", "TLS: certificate: auth err", { ca: false });
