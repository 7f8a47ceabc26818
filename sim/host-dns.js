// Node side of the DNS resolver: the simulator's name server. It answers from the host table (`localhost` and the
// names the simulator was started with; the machine has no other DNS) a few milliseconds after the question, and
// answers "no such name" (address null) for a name it does not hold. Literal addresses never reach it: the
// device-side resolver answers them itself, as the SDK's does.

const ANSWER_MS = 5;

export function installDns(sim) {
  let nextId = 1;
  // Only for a TCP with a board rule switched off (sim.rules.tcpHostThrows = false): a synchronous lookup.
  sim.op("dns.lookup", ({ host }) => {
    const address = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? host : sim.hosts[host.toLowerCase()];
    if (!address) throw new Error("invalid address");
    return [{ address }];
  });
  sim.op("dns.resolve", ({ host }) => {
    const id = nextId++;
    const address = sim.hosts[host.toLowerCase()];
    const lookup = { dispose: () => clearTimeout(timer) };
    const timer = setTimeout(() => {
      sim.post(`dns:${id}`, () => ({ k: "dns", id, address: address ?? null }));
      sim.release(lookup);
    }, ANSWER_MS);
    sim.hold(lookup);
    return [{ id }];
  });
}
