// Node side of the DNS resolver: names from the simulator's host table (the machine has no other DNS).
// A dotted IPv4 literal is answered as itself after one second, the SDK resolver's tick; an unknown name is
// answered with onError after the same tick, as a name server's "no such name" would be.

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const TICK_MS = 1000;

export function installDns(sim) {
  let nextId = 1;
  // Only for a TCP with a board rule switched off (sim.rules.tcpHostThrows = false): a synchronous lookup.
  sim.op("dns.lookup", ({ host }) => {
    const address = IPV4.test(host) ? host : sim.hosts[host.toLowerCase()];
    if (!address) throw new Error("invalid address");
    return [{ address }];
  });
  sim.op("dns.resolve", ({ host }) => {
    const id = nextId++;
    const name = host.toLowerCase();
    const address = IPV4.test(host) ? host : sim.hosts[name];
    const delay = IPV4.test(host) || !address ? TICK_MS : 5;
    const lookup = { dispose: () => clearTimeout(timer) };
    const timer = setTimeout(() => {
      sim.post(`dns:${id}`, () => ({ k: "dns", id, address: address ?? null }));
      sim.release(lookup);
    }, delay);
    sim.hold(lookup);
    return [{ id }];
  });
}
