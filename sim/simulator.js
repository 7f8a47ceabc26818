// The desktop simulator: one XS worker running device code, and the Node side of its host modules.
// It owns the event queue (one crank at a time, events coalesced per handle and built when sent, so they carry
// the state of that moment), the table of bridge operations the host modules register, the device log (`trace`),
// and the end of a run: the device is idle (no live socket, listener, timer or lookup, nothing queued) or it
// aborted (an exception escaped a device callback: "XS abort: unhandled exception", as in the SDK's simulator; or
// the manifest's `creation` budget was exceeded: "XS abort: memory full", charged after each crank, sim/memory.js).

import { readFileSync } from "node:fs";
import path from "node:path";
import { XsWorker } from "./xsnap.js";
import { encode, decode } from "./codec.js";
import { ROOT, ModuleLoader, compile, HOST_MODULES } from "./loader.js";
import { installTimers } from "./host-timer.js";
import { installNet } from "./host-net.js";
import { installTls } from "./host-tls.js";
import { installDns } from "./host-dns.js";
import { installDevice } from "./host-device.js";
import { rulesWith } from "./rules.js";
import { budgetOf, MemoryMeter } from "./memory.js";

/** The embedded relay of Simulator.start({ relay }): tools/relay's RelayServer, loaded only when asked for. */
async function startRelay({ port = 0, host = "127.0.0.1", secretKey, ...options } = {}) {
  const { RelayServer } = await import("../tools/relay/server.js");
  const { randomFillSync } = await import("node:crypto");
  const key = secretKey ?? randomFillSync(new Uint8Array(32));
  const log = [];
  const server = new RelayServer({
    log: (line) => { log.push(line); if (log.length > 1000) log.shift(); },
    ...options, secretKey: key,
  });
  const bound = await server.listen(port, host);
  const keyHex = Buffer.from(server.publicKey).toString("hex");
  return { server, host, port: bound, publicKey: server.publicKey, keyHex, log };
}

/** How many of the device's most recent log lines a Simulator keeps (`traces`). */
export const TRACE_LINES = 10000;

export class Simulator {
  #worker;
  #loader;
  #ops = new Map();
  #queue = [];
  #queued = new Set();
  #live = new Set();
  #draining = false;
  #idleWaiters = [];
  #aborted = null;
  #line = "";
  #closed = false;
  #memory = null;
  onTrace;
  onListening;
  /** The platform rules in force (all on: the board's behaviour). Tests switch one off to prove a case fails. */
  rules;
  hosts;
  /** Bridge calls the device made, by operation ("timer.set": 3, ...): what a path costs in host calls. */
  calls = new Map();
  /** Cranks run (events delivered and crank() evaluations): with `calls`, the round trips to the worker. */
  cranks = 0;
  /** The device log's most recent lines, a fixed ring (a flood of log lines cannot grow the simulator). */
  #traces = [];
  #tracesNext = 0;
  /** Lines that fell out of the ring. */
  tracesDropped = 0;

  /**
   * @param {object} options
   * @param {string} [options.manifest] the manifest naming the device modules (default: the project's)
   * @param {object} [options.config] overrides for `mc/config`
   * @param {Record<string,string>} [options.resources] more resources: name -> file (project-relative)
   * @param {Record<string,string>} [options.hosts] extra names for the simulated DNS (localhost is always there)
   * @param {(line: string) => void} [options.onTrace] each line the device traces
   * @param {(port: number) => void} [options.onListening] a device listener is bound
   * @param {object} [options.rules] board rules to switch off (sim/rules.js), for negative checks of the conformance suite
   * @param {object} [options.device] the board's clock, Wi-Fi and time servers (sim/host-device.js): e.g. { clock: "unset" }
   * @param {object} [options.relay] start an embedded Tox TCP relay (tools/relay's RelayServer) beside the device:
   *   { port = 0 (any), host = "127.0.0.1", secretKey (32 bytes, default fresh), ...RelayServer options }. The device
   *   finds it in `mc/config` as relay: { host, port, key } (config.relay given by the caller wins key by key);
   *   `sim.relay` is { server, host, port, publicKey, keyHex, log (its last lines) }; close() stops it.
   * @param {false | {slots?: number, chunks?: number}} [options.memory] the memory budget (sim/memory.js): by default
   *   the manifest's `creation` (heap.initial slots, chunk.initial bytes, where incremental is 0); false: none;
   *   { slots, chunks }: these instead (Infinity: unbounded). Past it the run aborts with "XS abort: memory full".
   */
  static async start(options = {}) {
    compile();
    const relay = options.relay ? await startRelay(options.relay) : null;
    try {
      const config = relay ? { ...options.config, relay: { host: relay.host, port: relay.port, key: relay.keyHex, ...options.config?.relay } } : options.config;
      const sim = new Simulator({ ...options, config });
      sim.relay = relay;
      Simulator.running.set(sim, new Error("started here").stack.split("\n").slice(2, 6).join("\n"));
      await sim.#boot();
      return sim;
    } catch (error) {
      await relay?.server.close();
      throw error;
    }
  }

  /** Simulators started and not yet closed, each with where it was started (test/run.js names the ones left). */
  static running = new Map();

  /** The embedded relay (options.relay), or null. */
  relay = null;

  constructor({ manifest = "manifest.json", config, resources, hosts = {}, onTrace, onListening, rules = {}, device = {}, memory } = {}) {
    this.#loader = new ModuleLoader({ manifest, config, resources });
    this.hosts = { localhost: "127.0.0.1", ...hosts };
    this.onTrace = onTrace;
    this.onListening = onListening;
    this.rules = rulesWith(rules);
    this.#worker = new XsWorker({
      onCommand: (bytes) => this.#call(bytes),
      onExit: (code, signal) => {
        if (!this.#closed && !this.#aborted) this.#abort(`xsnap-worker exited (${signal ?? code})`);
      },
    });
    this.op("trace", ({ text }) => { this.#trace(text); });
    this.op("resolve", ({ specifier }) => [{ name: this.#loader.resolve(specifier) }]);
    this.op("load", ({ specifier }) => {
      const { header, payload } = this.#loader.load(specifier);
      return [header, payload];
    });
    this.op("rules", () => [this.rules]);
    this.op("resource.get", ({ name }) => {
      const bytes = this.#loader.resource(name);
      if (!bytes) throw new Error(`Resource not found: ${name}`);
      return [{}, bytes];
    });
    this.op("resource.exists", ({ name }) => [{ exists: this.#loader.resource(name) !== undefined }]);
    installTimers(this);
    installNet(this);
    installTls(this);
    installDns(this);
    installDevice(this, device);
    const budget = budgetOf(this.#loader.creation, memory);
    this.#memory = budget && new MemoryMeter(budget, () => this.tlsSessions());
  }

  /** The memory budget's meter (sim/memory.js), or null: `budget`, `baseline`, and `last`, the last charge. */
  get memory() { return this.#memory; }

  async #boot() {
    await this.#worker.evaluate(readFileSync(path.join(ROOT, "hosts/sim/runtime.js"), "utf8"));
  }

  /** Register a bridge operation: fn(header, payload) -> [header, payload] | undefined | Promise of those. */
  op(name, fn) { this.#ops.set(name, fn); }

  /** Mark a handle live (the device is not idle while it is) or not. */
  hold(handle) { this.#live.add(handle); }
  release(handle) {
    this.#live.delete(handle);
    this.#checkIdle();
  }

  /** Queue an event for handle `key`; `build()` runs when it is sent and returns its header (or null: nothing). */
  post(key, build) {
    if (this.#closed || this.#aborted) return;
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push({ key, build });
    this.#drain();
  }

  /** Import a device module: its top level runs as one crank, when the queue reaches it. */
  launch(module) {
    this.post(`start:${module}`, () => ({ k: "start", module }));
  }

  /** Launch a device module and wait until the device is idle or aborts. */
  async run(module, { timeout = 30000 } = {}) {
    this.launch(module);
    return this.idle({ timeout });
  }

  /** Wait until the device is idle; resolves { aborted, traces }. */
  idle({ timeout = 30000 } = {}) {
    return new Promise((resolve) => {
      const waiter = { resolve, timer: null };
      waiter.timer = setTimeout(() => {
        this.#idleWaiters = this.#idleWaiters.filter((w) => w !== waiter);
        resolve({ aborted: null, timedOut: true, traces: this.traces });
      }, timeout);
      this.#idleWaiters.push(waiter);
      this.#checkIdle();
    });
  }

  /** Run a function body in the device compartment as one crank: `importNow(name)` gives module namespaces. */
  crank(source) {
    if (this.#aborted) return Promise.reject(new Error(this.#aborted));
    return new Promise((resolve, reject) => {
      // Queued like any event (so it never overlaps a crank under way); its reply settles the promise.
      this.#queue.push({
        key: Symbol("crank"),
        build: () => ({ k: "eval", source }),
        settle: ({ meter, header }) => (header.abort
          ? reject(new Error(`XS abort: unhandled exception: ${header.abort}`))
          : resolve({ meter, result: header.result })),
        fail: reject,
      });
      this.#drain();
    });
  }

  get aborted() { return this.#aborted; }

  /** The XS worker's process id (benchmarks read its CPU time from /proc). */
  get workerPid() { return this.#worker.pid; }

  /** The device log's last TRACE_LINES lines, oldest first (a copy). */
  get traces() {
    const ring = this.#traces;
    return ring.length < TRACE_LINES ? ring.slice() : [...ring.slice(this.#tracesNext), ...ring.slice(0, this.#tracesNext)];
  }

  /** A line in the device log from a host module's Node side (the board's own log lines: its TLS, its TCP). */
  log(line) { this.#trace(`${line}\n`); }

  async close() {
    if (this.#closed) return;
    this.#closed = true;
    Simulator.running.delete(this);
    for (const handle of this.#live) handle.dispose?.();
    this.#live.clear();
    await this.#worker.close();
    await this.relay?.server.close();
  }

  #trace(text) {
    this.#line += text;
    let nl;
    while ((nl = this.#line.indexOf("\n")) >= 0) {
      const line = this.#line.slice(0, nl);
      this.#line = this.#line.slice(nl + 1);
      if (this.#traces.length < TRACE_LINES) this.#traces.push(line);
      else {
        this.#traces[this.#tracesNext] = line;
        this.#tracesNext = (this.#tracesNext + 1) % TRACE_LINES;
        this.tracesDropped++;
      }
      this.onTrace?.(line);
    }
  }

  /** A bridge call from the device: its encoded reply, or a promise of it when the operation is asynchronous. */
  #call(bytes) {
    const { header, payload } = decode(bytes);
    const fn = this.#ops.get(header.op);
    this.calls.set(header.op, (this.calls.get(header.op) ?? 0) + 1);
    const failed = (error) => encode({ error: String(error?.message ?? error) });
    const done = (result) => encode(result?.[0] ?? {}, result?.[1]);
    try {
      if (!fn) throw new Error(`simulator: unknown operation ${header.op}`);
      const result = fn(header, payload);
      return result && typeof result.then === "function" ? result.then(done, failed) : done(result);
    } catch (error) {
      return failed(error);
    }
  }

  async #drain() {
    if (this.#draining || this.#worker.busy) return;
    this.#draining = true;
    try {
      while (this.#queue.length && !this.#aborted && !this.#closed) {
        const event = this.#queue.shift();
        this.#queued.delete(event.key);
        const header = event.build();
        if (!header) continue;
        if (this.#memory && this.#memory.baseline === null && header.k === "start" && !(await this.#preload())) break;
        let meter, answer;
        this.cranks++;
        try {
          ({ meter, reply: answer } = await this.#worker.command(encode(header)));
        } catch (error) {
          event.fail?.(error);
          throw error;
        }
        answer = decode(answer).header;
        if (this.#memory && !answer.abort && !(await this.#charge(meter, header))) {
          event.fail?.(new Error(this.#aborted));
          break;
        }
        if (event.settle) event.settle({ meter, header: answer });
        else if (answer.abort) this.#abort(answer.abort);
      }
    } catch (error) {
      this.#abort(String(error?.message ?? error));
    } finally {
      this.#draining = false;
    }
    this.#checkIdle();
  }

  /**
   * Before the app starts (its first `start` crank): load the manifests' `preload` modules, as the SDK does at build
   * time, and take the memory baseline after a collection. On the board those modules live in flash; the app's
   * main and every module it imports that is not preloaded are loaded into RAM, so they are charged (sim/memory.js).
   * false when a preloaded module cannot load (the run aborts with the reason, as mcconfig's build would fail).
   */
  async #preload() {
    // The SDK's own modules (the host modules, mc/config) are in flash on the board too: load them with the preload.
    const names = JSON.stringify([...Object.keys(HOST_MODULES), "mc/config", ...this.#loader.preload]);
    const { meter, reply } = await this.#worker.command(encode({
      k: "eval",
      source: `for (const name of ${names}) { try { importNow(name); } catch (e) { return "preload " + name + ": " + e; } } gc(); return null;`,
    }));
    const problem = decode(reply).header.result ?? decode(reply).header.abort;
    if (problem) {
      this.#abort(problem);
      return false;
    }
    this.#memory.baseline = meter.currentHeapCount;
    return true;
  }

  /**
   * Charge the memory budget after a crank (sim/memory.js); false when it is exceeded and the run has aborted.
   * Over budget, a collection runs and the heap is read again before deciding, as XS collects before it reports
   * memory full.
   */
  async #charge(meter, header) {
    const m = this.#memory;
    if (this.#closed) return true;
    if (m.baseline === null) return true;
    let charged = m.charge(meter.currentHeapCount);
    if (charged.over) charged = m.charge((await this.#worker.command(encode({ k: "eval", source: "gc();" }))).meter.currentHeapCount);
    m.last = charged;
    if (!charged.over) return true;
    for (const line of m.report(charged)) this.log(line);
    this.#abort(null, "XS abort: memory full");
    return false;
  }

  #abort(message, full) {
    if (this.#aborted) return;
    this.#aborted = full ?? `XS abort: unhandled exception: ${message}`;
    this.#trace(`${this.#aborted}\n`);
    for (const handle of this.#live) handle.dispose?.();
    this.#live.clear();
    this.#worker.kill();
    this.#checkIdle();
  }

  #checkIdle() {
    const idle = this.#aborted || (this.#live.size === 0 && this.#queue.length === 0 && !this.#draining && !this.#worker.busy);
    if (!idle) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.resolve({ aborted: this.#aborted, timedOut: false, traces: this.traces });
    }
  }
}
