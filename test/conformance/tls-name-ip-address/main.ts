// Rule (README, "What the simulator reproduces", TLS): certificate names match IPv4 iPAddress SANs: host "127.0.0.1" matches the
// server's IP:127.0.0.1.
// Unguarded: a refusal would abort the VM, which the runner reports as a failure of this case.
import handshakeCase from "conformance/handshake-case";

handshakeCase("tls-name-ip-address", { host: "127.0.0.1" });
