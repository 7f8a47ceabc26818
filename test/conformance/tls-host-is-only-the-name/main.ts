// Rule (README, "What the simulator reproduces", TLS): TLSSocket connects to `address` and uses `host` only as the SNI / certificate
// name: a name that no resolver knows ("device.test", one of the server certificate's names) still connects.
// Unguarded: a refusal would abort the VM, which the runner reports as a failure of this case.
import handshakeCase from "conformance/handshake-case";

handshakeCase("tls-host-is-only-the-name", { host: "device.test" });
