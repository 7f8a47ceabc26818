// Rule (README, "What the simulator reproduces", TLS names): the board reads subjectAltName only (never the subject
// CN); a dNSName matches exactly, or with one leading "*" standing for the server name's first label (up to its
// first dot); an iPAddress matches a dotted IPv4 server name.
// Here: a leaf whose only SAN is "f*.wild.test" asked for foo.wild.test: a star that is not the first character is
// no wildcard on the board (Node would accept it), so refused.
import guardCase from "conformance/guard-case";

guardCase("tls-name-partial-wildcard", "TLS: certificate: auth err", { host: "foo.wild.test" });
