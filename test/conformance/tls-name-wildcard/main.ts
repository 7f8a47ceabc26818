// Rule (README, "What the simulator reproduces", TLS): certificate names match dNSName SANs with one leading wildcard: the server's
// "*.wild.test" matches "device.wild.test".
// Unguarded: a refusal would abort the VM, which the runner reports as a failure of this case.
import handshakeCase from "conformance/handshake-case";

handshakeCase("tls-name-wildcard", { host: "device.wild.test" });
