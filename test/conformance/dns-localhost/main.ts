// Rule (moddable-platform.md, DNS): the resolver answers `localhost` with 127.0.0.1, through
// onResolved(host, address): the callback gets the host name and the dotted address.
import Timer from "timer";
import UDP from "embedded:io/socket/udp";
import Resolver from "embedded:network/dns/resolver/udp";
import config from "mc/config";

const CASE = "dns-localhost";
let ended = false;
const watchdog = Timer.set(() => end(false, "timeout"), 8000);
function end(ok: boolean, why = "") {
  if (ended) return;
  ended = true;
  Timer.clear(watchdog);
  trace(ok ? `ok ${CASE}\n` : `not ok ${CASE} ${why}\n`);
  trace("done\n");
}

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
