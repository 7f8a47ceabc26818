// Secure Streams through the serialized proxy (issue 15) next to the direct path, in the same run and the same XS
// machine: the same echo app on a raw TLS stream to a Node echo server on 127.0.0.1, once on a local context and
// once through our client -> link -> our proxy (test/device/ss-proxy/bench.ts). Figures:
//   link bytes per message   what the proxied path adds on its link per tx message (both directions; the direct
//                            path has no link, and the TLS connection upstream is the same stream either way)
//   XS compute per payload byte  every crank of the timed run (XsWorker.prototype.command wrapped, as bench/run.js
//                            measures telemetry), over the payload bytes sent: proxied counts both ends, as they
//                            run in one machine here (on real hardware they are two)
// Exported for bench/run.js: `await ssProxyFigures()` prints the lines.
import { Simulator } from "../sim/simulator.js";
import { crankMeter, traceWatch } from "./support.js";

export async function ssProxyFigures() {
  const servers = await import("../test/support/servers.js");
  const { closedPort } = await import("../test/device/ss/servers.js");
  const { proxyPolicy } = await import("../test/device/ss-proxy/policy.js");
  const TOTAL = 256 * 1024, SIZES = [64, 1024];
  const echo = await servers.tlsEcho();
  const refused = await closedPort();
  const policy = proxyPolicy({ echo: echo.port, reply: refused, https: refused, refused, rogue: refused, silent: refused,
    bad: refused, tcp: refused });
  const meter = crankMeter();
  const { onTrace, traced: tracedLine } = traceWatch();
  const traced = (prefix, ms) => tracedLine((line) => line.startsWith(prefix), ms);
  const sim = await Simulator.start({ manifest: "test/device/ss-proxy/manifest.json", config: { policy }, onTrace });
  const MOD = "test/device/ss-proxy/bench";
  const rows = [];
  try {
    await sim.crank(`importNow("${MOD}").setup(${await closedPort()});`);
    for (const size of SIZES) {
      for (const kind of ["direct", "proxied"]) {
        let done = traced(`bench: done ${kind}`);
        await sim.crank(`importNow("${MOD}").go("${kind}", ${TOTAL / 8}, ${size});`); // warm-up
        await done;
        done = traced(`bench: done ${kind}`);
        meter.start();
        const t0 = process.hrtime.bigint();
        await sim.crank(`importNow("${MOD}").go("${kind}", ${TOTAL}, ${size});`);
        const line = await done;
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const compute = meter.stop();
        const [, , , wire, messages, got] = line.split(" ").map(Number);
        if (got !== TOTAL) throw new Error(`bench: ${kind} echoed ${got} of ${TOTAL}`);
        rows.push({ size, kind, wire, messages, compute, ms });
      }
    }
  } finally {
    meter.restore();
    await sim.close();
    await echo.close();
  }
  console.log(`ss proxy: ${TOTAL / 1024} KiB echoed over raw TLS on 127.0.0.1, direct vs through our sspc client + proxy, same run, one XS machine`);
  for (const size of SIZES) {
    const d = rows.find((r) => r.size === size && r.kind === "direct");
    const p = rows.find((r) => r.size === size && r.kind === "proxied");
    const perMsg = p.wire / p.messages;
    console.log(`  ${size}-byte tx messages (${p.messages}):`);
    console.log(`    link bytes per message   direct 0, proxied ${perMsg.toFixed(1)} for ${size} payload bytes each way (+${(perMsg - 2 * size).toFixed(1)}: 19-byte TX/RX headers, rx split as TLS delivers it)`);
    console.log(`    XS compute per payload byte  direct ${(d.compute / TOTAL).toFixed(2)}, proxied ${(p.compute / TOTAL).toFixed(2)}  (x${(p.compute / d.compute).toFixed(2)}; both ends of the link counted)`);
    console.log(`    wall time                direct ${d.ms.toFixed(0)} ms, proxied ${p.ms.toFixed(0)} ms`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await ssProxyFigures();
