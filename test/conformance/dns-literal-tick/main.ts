// Rule (moddable-platform.md, DNS): a dotted IPv4 `host` is answered as itself, but only on the resolver's next
// one-second tick: not at once, not before half a second has passed, well within two and a half.
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
