// Rule (moddable-platform.md, DNS): the resolver answers `localhost` with 127.0.0.1, through
// onResolved(host, address): the callback gets the host name and the dotted address.
import UDP from "embedded:io/socket/udp";
import Resolver from "embedded:network/dns/resolver/udp";
import config from "mc/config";
import report from "conformance/report";

const { end } = report("dns-localhost", { watchdog: 8000 });

const resolver = new Resolver({ servers: [String(config.dnsServer)], socket: { io: UDP } });
resolver.resolve({
  host: "localhost",
  onResolved(host: string, address: string) {
    end(host === "localhost" && address === "127.0.0.1", `onResolved(${String(host)}, ${String(address)})`);
    return null;
  },
  onError(host: string) {
    end(false, `onError(${String(host)})`);
    return null;
  },
});
