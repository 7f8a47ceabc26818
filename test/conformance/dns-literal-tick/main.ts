// Rule (README, "What the simulator reproduces", DNS): the resolver serves requests from a repeating timer that its
// first request starts at once: a dotted IPv4 `host` asked of an idle resolver is answered as itself on that
// timer's first run, after resolve() has returned (never inside it) and well before the one-second tick.
import Timer from "timer";
import UDP from "embedded:io/socket/udp";
import Resolver from "embedded:network/dns/resolver/udp";
import config from "mc/config";
import report from "conformance/report";

const { end } = report("dns-literal-tick", {
  watchdog: 2500,
  timeout: "no answer within 2.5 s",
  close: () => { if (!halfPassed) Timer.clear(half); },
});
const half = Timer.set(() => { halfPassed = true; }, 500);
let halfPassed = false;
let returned = false;

const literal = "127.0.0.1";
const resolver = new Resolver({ servers: [String(config.dnsServer)], socket: { io: UDP } });
resolver.resolve({
  host: literal,
  onResolved(host: string, address: string) {
    if (!returned) end(false, "answered inside resolve()");
    else if (halfPassed) end(false, "answered only after 500 ms: the idle resolver waited for a tick");
    else end(host === literal && address === literal, `onResolved(${String(host)}, ${String(address)})`);
    return null;
  },
  onError(host: string) {
    end(false, `onError(${String(host)})`);
    return null;
  },
});
returned = true;
