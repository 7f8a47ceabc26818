// tcp/resolve: a host name to the dotted IPv4 address the board's TCP takes (it takes no names), through the SDK's
// DNS resolver (embedded:network/dns/resolver/udp) or the one a caller provides; a literal address is its own
// answer. One answer, exactly once: the address, or why there is none. Used by tcp/client and tls/client.
import UDP from "embedded:io/socket/udp";
import Resolver from "embedded:network/dns/resolver/udp";

/** A DNS provider in the SDK's shape (`any`: the SDK's own constructors). */
export type DnsProvider = { io: new (options: any) => any; servers: string[]; socket: { io: new (options: any) => any } };

/** The resolver's servers when none are given. */
export const DEFAULT_DNS_SERVERS = ["1.1.1.1", "8.8.8.8"];

export const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** `onAddress(address)` or `onFailure(why)`, once, later or at once (a literal address, a resolver that throws). */
export function resolveHost(host: string, dns: DnsProvider | undefined, onAddress: (address: string) => void,
  onFailure: (why: string) => void): void {
  if (IPV4.test(host)) {
    onAddress(host);
    return;
  }
  const d = dns ?? { io: Resolver, servers: DEFAULT_DNS_SERVERS, socket: { io: UDP } };
  let answered = false;
  const once = <A>(f: (a: A) => void) => (a: A) => {
    if (answered) return;
    answered = true;
    f(a);
  };
  const address = once(onAddress), failure = once(onFailure);
  try {
    const resolver = new d.io({ servers: d.servers, socket: d.socket });
    resolver.resolve({
      host,
      onResolved: (_host: string, a: string) => address(a),
      onError: () => failure(`cannot resolve ${host}`),
    });
  } catch (error) {
    failure(`resolver refused ${host}: ${String(error)}`);
  }
}
