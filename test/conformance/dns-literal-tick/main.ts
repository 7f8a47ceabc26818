// Rule (moddable-platform.md, DNS): a dotted IPv4 `host` is answered as itself, but only on the resolver's next
// one-second tick: not at once, not before half a second has passed, well within two and a half.
import Timer from "timer";
import UDP from "embedded:io/socket/udp";
import Resolver from "embedded:network/dns/resolver/udp";
import config from "mc/config";

const CASE = "dns-literal-tick";
let ended = false;
const watchdog = Timer.set(() => end(false, "no answer within 2.5 s"), 2500);
const half = Timer.set(() => { halfPassed = true; }, 500);
let halfPassed = false;
let returned = false;
function end(ok: boolean, why = "") {
  if (ended) return;
  ended = true;
  Timer.clear(watchdog);
  if (!halfPassed) Timer.clear(half);
  trace(ok ? `ok ${CASE}\n` : `not ok ${CASE} ${why}\n`);
  trace("done\n");
}

const literal = "127.0.0.1";
const resolver = new Resolver({ servers: [String(config.dnsServer)], socket: { io: UDP } });
resolver.resolve({
  host: literal,
  onResolved(host: string, address: string) {
    if (!returned) end(false, "answered inside resolve()");
    else if (!halfPassed) end(false, "answered before 500 ms: no one-second tick");
    else end(host === literal && address === literal, `onResolved(${String(host)}, ${String(address)})`);
    return null;
  },
  onError(host: string) {
    end(false, `onError(${String(host)})`);
    return null;
  },
});
returned = true;
