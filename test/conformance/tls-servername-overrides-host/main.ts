// Rule (README, "What the simulator reproduces", TLS): `secure.serverName` overrides `host` as the certificate name: the server's leaf
// names only other.example; with host "localhost" and serverName "other.example" the handshake succeeds.
// Unguarded: a refusal would abort the VM, which the runner reports as a failure of this case.
import handshakeCase from "conformance/handshake-case";

handshakeCase("tls-servername-overrides-host", { serverName: "other.example" });
