// Rule (README, "What the simulator reproduces", TLS): a TLSSocket with no `host` and no `secure.serverName` has no
// name for its ClientHello: the board throws TypeError "cannot coerce undefined to object" from the TCP callback in
// which it starts the handshake (observed in the SDK's simulator; it never connects by address alone).
import guardCase from "conformance/guard-case";

guardCase("tls-no-server-name-throws", "TypeError: cannot coerce undefined to object", { host: null });
