// Rule (README, "What the simulator reproduces", TLS names): the board reads subjectAltName only (never the subject
// CN); a dNSName matches exactly, or with one leading "*" standing for the server name's first label (up to its
// first dot); an iPAddress matches a dotted IPv4 server name.
// Here: a leaf whose CN is "localhost" and whose only SAN is unused.example, asked for localhost: refused
// ("subjectAltName match failed for localhost", then "certificate: auth err"), thrown into the guard.
import guardCase from "conformance/guard-case";

guardCase("tls-name-cn-ignored", "TLS: certificate: auth err");
