// test/memory-budget.test.js: TLS connections opened one by one and kept open, under the root manifest's `creation`
// (this folder's manifest includes it), as apps/budget's stress phase does in the SDK's simulator. Each open is
// traced `memory: open N`; with the budget exceeded the simulator aborts (`XS abort: memory full`), so the last N
// traced is how many fit. With room for all config.memory.count, they are closed again and `memory: done` traced.
import config from "mc/config";
import Debug from "debug";
import Resource from "Resource";
import { connect, type TLSConnection } from "tls/client";

type Options = { host: string; port: number; count: number; rxSize: number; txSize: number };
const options = config.memory as Options;
const ca = new Resource("ca.der").slice(0);

async function open(): Promise<TLSConnection> {
  const c = connect(options.host, options.port, { ca, rxSize: options.rxSize, txSize: options.txSize, connectTimeout: 10000, tag: "memory" });
  while (!c.isOpen()) {
    if (c.error) throw c.error;
    await c.wait(10000);
  }
  return c;
}

async function main() {
  const connections: TLSConnection[] = [];
  for (let n = 1; n <= options.count; n++) {
    connections.push(await open());
    Debug.gc();
    trace(`memory: open ${n}\n`);
  }
  for (const c of connections) c.close();
  trace("memory: done\n");
}

main().catch((error) => trace(`memory: FAILED ${String(error)}\n`));
