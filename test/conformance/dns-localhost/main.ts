// Rule (README, "What the simulator reproduces", DNS): the resolver rewrites `localhost` to 127.0.0.1 before anything
// else, so the answer is onResolved("127.0.0.1", "127.0.0.1"): the callback gets the rewritten name, not "localhost".
import UDP from "embedded:io/socket/udp";
import Resolver from "embedded:network/dns/resolver/udp";
import config from "mc/config";
import report from "conformance/report";

const { end } = report("dns-localhost", { watchdog: 8000 });

const resolver = new Resolver({ servers: [String(config.dnsServer)], socket: { io: UDP } });
resolver.resolve({
  host: "localhost",
  onResolved(host: string, address: string) {
    end(host === "127.0.0.1" && address === "127.0.0.1", `onResolved(${String(host)}, ${String(address)})`);
    return null;
  },
  onError(host: string) {
    end(false, `onError(${String(host)})`);
    return null;
  },
});
