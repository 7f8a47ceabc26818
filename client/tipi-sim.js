// tipi-sim: run the TIPI app (apps/tipi) as a simulated device, for the CLI (`tipi serve`, `--link sim`) and the
// tests. The device listens on 127.0.0.1 (an ephemeral port unless one is given) and is driven over that link.

import path from "node:path";
import { Simulator } from "../sim/simulator.js";
import { readManifest } from "../sim/loader.js";

export const MANIFEST = "apps/tipi/manifest.json";

/** The `config.tipi` defaults of the app's manifest (modules/tipi/manifest.json). */
export function manifestDefaults() {
  return { ...readManifest(MANIFEST).config.tipi };
}

/**
 * Start the app in the simulator. options.tipi overrides `config.tipi` key by key (port 0 by default: any free
 * port); options.ca is a CA file (DER) to trust instead of the app's; options.hosts adds names to the simulated
 * DNS; options.onTrace sees each device log line. Resolves { sim, port, link, close() }.
 */
export async function startDevice({ tipi = {}, ca, hosts, onTrace, startTimeout = 15000 } = {}) {
  let listening;
  const bound = new Promise((resolve) => { listening = resolve; });
  const sim = await Simulator.start({
    manifest: MANIFEST,
    config: { tipi: { port: 0, ...tipi } },
    resources: ca ? { "ca.der": path.resolve(ca) } : {},
    hosts,
    onTrace,
    onListening: (port) => listening(port),
  });
  sim.launch("main");
  // until it listens, it aborts (an exception at start), or time runs out
  let timer;
  let poll;
  const port = await Promise.race([
    bound,
    new Promise((resolve) => { timer = setTimeout(() => resolve(null), startTimeout); }),
    new Promise((resolve) => { poll = setInterval(() => { if (sim.aborted) resolve(null); }, 20); }),
  ]);
  clearTimeout(timer);
  clearInterval(poll);
  if (!port) {
    const traces = sim.traces.join("\n");
    await sim.close();
    throw new Error(`the simulated device did not start listening${sim.aborted ? ` (${sim.aborted})` : ""}:\n${traces}`);
  }
  return { sim, port, link: `127.0.0.1:${port}`, close: () => sim.close() };
}
