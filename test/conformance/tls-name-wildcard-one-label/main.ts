// Rule (README, "What the simulator reproduces", TLS names): the board reads subjectAltName only (never the subject
// CN); a dNSName matches exactly, or with one leading "*" standing for the server name's first label (up to its
// first dot); an iPAddress matches a dotted IPv4 server name.
// Here: the good leaf's "*.wild.test" asked for a.b.wild.test (two labels where the star stands for one): refused.
import guardCase from "conformance/guard-case";

guardCase("tls-name-wildcard-one-label", "TLS: certificate: auth err", { host: "a.b.wild.test" });
