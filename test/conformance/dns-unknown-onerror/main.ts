// Rule (README, "What the simulator reproduces", DNS): a name that cannot be resolved ends in onError(host), with the host name and no
// code. (".invalid" never resolves, RFC 6761. The SDK's resolver gives up after five one-second tries per server.)
import UDP from "embedded:io/socket/udp";
import Resolver from "embedded:network/dns/resolver/udp";
import config from "mc/config";
import report from "conformance/report";

const { end } = report("dns-unknown-onerror", { watchdog: 8000, timeout: "timeout: no onError" });

const name = "unknown.invalid";
const resolver = new Resolver({ servers: [String(config.dnsServer)], socket: { io: UDP } });
resolver.resolve({
  host: name,
  onResolved(host: string, address: string) {
    end(false, `onResolved(${String(host)}, ${String(address)})`);
    return null;
  },
  onError(host: string) {
    end(arguments.length === 1 && host === name, `onError got ${arguments.length} argument(s): ${String(host)}`);
    return null;
  },
});
