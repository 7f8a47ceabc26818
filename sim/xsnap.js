// The XS engine process: spawns Agoric's `xsnap-worker` (Moddable's XS, built by `npm ci`) and speaks its
// netstring protocol on fds 3 (parent -> worker) and 4 (worker -> parent).
//
//   parent -> worker   `e<js>` evaluate one crank    `?<bytes>` call globalThis.handleCommand    `q` quit
//                      `/<bytes>` reply to a command the worker issued
//   worker -> parent   `.<meter JSON>\x01<bytes>` crank done    `!<message>` crank threw
//                      `?<bytes>` issueCommand(): the worker blocks until the parent answers with `/`
//
// One crank runs at a time; while the worker waits in issueCommand nothing else may be sent but the reply.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const SLASH = Buffer.from("/");

export function workerPath() {
  const root = path.dirname(require.resolve("@agoric/xsnap/package.json"));
  const bin = path.join(root, "xsnap-native/xsnap/build/bin/lin/release/xsnap-worker");
  if (!existsSync(bin)) {
    throw new Error(`xsnap-worker not built at ${bin}: run "npm ci" (its install compiles XS)`);
  }
  return bin;
}

/** A running XS worker. `onCommand(bytes)` answers the worker's issueCommand (may be async). */
export class XsWorker {
  #child;
  #inbox = Buffer.alloc(0);
  #pending = null; // { resolve, reject } of the crank under way
  #onCommand;
  #exited = false;
  #exitWaiters = [];
  stderr = "";

  constructor({ name = "device", meterLimit = 1e12, onCommand, onExit }) {
    this.#onCommand = onCommand;
    this.#child = spawn(workerPath(), [name, "-l", String(meterLimit)], {
      stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
    });
    this.#child.stdout.on("data", (d) => process.stdout.write(d));
    this.#child.stderr.on("data", (d) => { this.stderr += d; });
    this.#child.stdio[4].on("data", (d) => this.#receive(d));
    this.#child.stdio[3].on("error", () => {});
    this.#child.on("exit", (code, signal) => {
      this.#exited = true;
      const p = this.#pending;
      this.#pending = null;
      if (p) p.reject(new Error(`xsnap-worker exited (${signal ?? code}) ${this.stderr.trim()}`));
      for (const w of this.#exitWaiters) w();
      onExit?.(code, signal);
    });
  }

  get busy() { return this.#pending !== null; }

  /** The worker's process id (benchmarks read its CPU time). */
  get pid() { return this.#child.pid; }

  /** Evaluate a script as one crank; resolves to { meter, reply }. */
  evaluate(source) { return this.#crank(Buffer.concat([Buffer.from("e"), Buffer.from(source)])); }

  /** Call the worker's handleCommand with bytes as one crank; resolves to { meter, reply }. */
  command(bytes) { return this.#crank(Buffer.concat([Buffer.from("?"), bytes])); }

  async close() {
    if (this.#exited) return;
    const done = new Promise((r) => this.#exitWaiters.push(r));
    this.#send(Buffer.from("q"));
    const t = setTimeout(() => this.#child.kill("SIGKILL"), 2000);
    await done;
    clearTimeout(t);
  }

  kill() { if (!this.#exited) this.#child.kill("SIGKILL"); }

  #crank(message) {
    if (this.#exited) return Promise.reject(new Error("xsnap-worker is not running"));
    if (this.#pending) return Promise.reject(new Error("xsnap-worker: a crank is already under way"));
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#send(message);
    });
  }

  #send(bytes) {
    // One buffer per message: `length:` bytes `,`
    const head = `${bytes.length}:`;
    const frame = Buffer.allocUnsafe(head.length + bytes.length + 1);
    frame.write(head, 0, "latin1");
    frame.set(bytes, head.length);
    frame[frame.length - 1] = 0x2c;
    this.#child.stdio[3].write(frame);
  }

  #receive(data) {
    this.#inbox = this.#inbox.length ? Buffer.concat([this.#inbox, data]) : data;
    for (;;) {
      const colon = this.#inbox.indexOf(58);
      if (colon < 0) return;
      const length = Number(this.#inbox.subarray(0, colon).toString("latin1"));
      const end = colon + 1 + length;
      if (this.#inbox.length < end + 1) return;
      const message = this.#inbox.subarray(colon + 1, end);
      this.#inbox = this.#inbox.subarray(end + 1);
      this.#dispatch(message);
    }
  }

  #answer(reply) {
    this.#send(reply && reply.length ? Buffer.concat([SLASH, reply]) : SLASH);
  }

  // onCommand encodes its own failures for the worker; one that escapes it cannot be answered in a form the
  // worker understands, so the worker is stopped and the crank under way fails with the reason.
  #commandFailed(error) {
    this.stderr += `host command failed: ${error?.message ?? error}\n`;
    this.kill();
  }

  #dispatch(message) {
    const tag = message[0];
    if (tag === 0x3f /* ? */) {
      // A command answered at once is answered at once (no promise turn): the worker is blocked until it is.
      let reply;
      try {
        reply = this.#onCommand(message.subarray(1));
      } catch (error) {
        this.#commandFailed(error);
        return;
      }
      if (reply && typeof reply.then === "function") reply.then((r) => this.#answer(r), (error) => this.#commandFailed(error));
      else this.#answer(reply);
      return;
    }
    const p = this.#pending;
    this.#pending = null;
    if (!p) return;
    if (tag === 0x2e /* . */) {
      const sep = message.indexOf(1);
      const meter = JSON.parse(message.subarray(1, sep < 0 ? message.length : sep).toString());
      p.resolve({ meter, reply: sep < 0 ? Buffer.alloc(0) : message.subarray(sep + 1) });
    } else {
      p.reject(new Error(message.subarray(1).toString()));
    }
  }
}
