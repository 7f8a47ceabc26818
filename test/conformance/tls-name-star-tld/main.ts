// Rule (README, "What the simulator reproduces", TLS names): the board reads subjectAltName only (never the subject
// CN); a dNSName matches exactly, or with one leading "*" standing for the server name's first label (up to its
// first dot); an iPAddress matches a dotted IPv4 server name.
// Here: a leaf whose only SAN is "*.test" asked for device.test: accepted by the board (Node would refuse a wildcard
// over a single label). Unguarded: a refusal would abort the VM, which the runner reports as a failure.
import handshakeCase from "conformance/handshake-case";

handshakeCase("tls-name-star-tld", { host: "device.test" });
