// Interop, direction 2: our Secure Streams proxy (ss/proxy, in XS) serving libwebsockets' own client (v4.4.5 sspc,
// built outside the repository). tools/lws-interop/run.js gives the policy (the same JSON lws' proxy reads in
// direction 1), a TCP port on 127.0.0.1 and, optionally, a unix socket path; the lws client's streams run here
// onward to the TLS servers the policy names. The app serves until run.js connects to `controlPort` (or `maxMs`
// passes), then closes its listeners, traces its figures and "done".
import config from "mc/config";
import Timer from "timer";
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import { createContext } from "ss";
import { parsePolicy } from "ss/policy";
import { startProxy, type Proxy } from "ss/proxy";

const cfg = config as unknown as { policy: string; port: number; path?: string; controlPort: number; maxMs?: number };
const log = (line: string) => trace(`${line}\n`);

const context = createContext({ policy: parsePolicy(cfg.policy, { log }), log });
const proxies: Proxy[] = [startProxy({ context, port: cfg.port, log })];
if (cfg.path) proxies.push(startProxy({ context, path: cfg.path, log }));

let stopped = false;
let deadline: ReturnType<typeof Timer.set> | undefined;

function stop(why: string): void {
  if (stopped) return;
  stopped = true;
  if (deadline !== undefined) Timer.clear(deadline);
  try { control.close(); } catch { /* closed */ }
  for (const p of proxies) {
    const s = p.stats;
    trace(`proxy ${p.where} accepted ${s.accepted} closedBad ${s.closedBad} closedSlow ${s.closedSlow} framesIn ${s.framesIn} framesOut ${s.framesOut}\n`);
    p.close();
  }
  Timer.set(() => {
    trace(`stopped: ${why}; streams left ${context.streams}\n`);
    trace("done\n");
  }, 100);
}

const control = new Listener({
  port: cfg.controlPort,
  address: "127.0.0.1",
  onReadable(count: number) {
    for (let i = 0; i < count; i++) {
      const from = control.read();
      if (!from) break;
      const s = new TCP({ from } as any);
      s.close();
      stop("asked by the control port");
    }
  },
}) as Listener & { close(): void };
deadline = Timer.set(() => { deadline = undefined; stop(`maxMs ${cfg.maxMs ?? 60000} passed`); }, cfg.maxMs ?? 60000);
trace(`interop proxy ready\n`);
