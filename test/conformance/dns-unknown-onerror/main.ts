// Rule (moddable-platform.md, DNS): a name that cannot be resolved ends in onError(host), with the host name and no
// code. (".invalid" never resolves, RFC 6761. The SDK's resolver gives up after five one-second tries per server.)
import Timer from "timer";
import UDP from "embedded:io/socket/udp";
import Resolver from "embedded:network/dns/resolver/udp";
import config from "mc/config";

const CASE = "dns-unknown-onerror";
let ended = false;
const watchdog = Timer.set(() => end(false, "timeout: no onError"), 8000);
function end(ok: boolean, why = "") {
  if (ended) return;
  ended = true;
  Timer.clear(watchdog);
  trace(ok ? `ok ${CASE}\n` : `not ok ${CASE} ${why}\n`);
  trace("done\n");
}

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
