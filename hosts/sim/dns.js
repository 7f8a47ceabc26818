// `embedded:network/dns/resolver/udp` for the simulator, with the SDK resolver's shape:
// new Resolver({ servers, socket: { io: UDP } }).resolve({ host, onResolved(host, address), onError(host) }).
// Names come from the simulator's host table (`localhost` and whatever the simulator was started with); the
// machine has no other DNS. A dotted IPv4 host is answered as itself on the resolver's next one-second tick, as the
// SDK's resolver does, so device code should skip the resolver for literal addresses.
import { call, listen, unlisten } from "sim:bridge";

export default class Resolver {
  constructor(options) {
    if (!options || !Array.isArray(options.servers) || options.servers.length === 0) {
      throw new TypeError("resolver: servers required");
    }
    if (typeof options.socket?.io !== "function") throw new TypeError("resolver: socket.io required");
  }

  resolve(options) {
    const host = options?.host;
    if (typeof host !== "string" || host.length === 0) throw new TypeError("resolver: host required");
    const { onResolved, onError } = options;
    const id = call("dns.resolve", { host }).header.id;
    listen("dns", id, (event) => {
      unlisten("dns", id);
      if (event.address) onResolved?.(host, event.address);
      else onError?.(host);
    });
  }
}
