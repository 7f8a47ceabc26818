// Device-side scenarios for the TLS client (modules/tls), one per run: `mc/config` names the scenario and the
// fixture server's port. Reports `ok <name>` / `not ok <name> <why>` lines, then `done`.
import Resource from "Resource";
import config from "mc/config";
import UDP from "embedded:io/socket/udp";
import Resolver from "embedded:network/dns/resolver/udp";
import { connect, TLSConnection, TLSError } from "tls/client";

const port = config.port as number;
const host = (config.host as string | undefined) ?? "localhost";
// A Resource is a host buffer, not the ArrayBuffer connect() takes: slice(0) copies it into one.
const ca = new Resource((config.ca as string | undefined) ?? "ca.der").slice(0);

function report(name: string, ok: boolean, why = "") {
  trace(ok ? `ok ${name}\n` : `not ok ${name} ${why}\n`);
}

function describe(error: unknown): string {
  return error instanceof TLSError ? `${error.code} ${error.message}` : String(error);
}

async function opened(c: TLSConnection): Promise<void> {
  while (!c.isOpen()) {
    if (c.error) throw c.error;
    if ((await c.wait(5000)) === "timeout") throw new Error("not open within 5 s");
  }
}

/** The fixture servers' byte stream (xorshift32, seed 1): the device checks every byte against it. */
class Pattern {
  #x = 1;
  next(): number {
    let x = this.#x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#x = x >>> 0;
    return x & 0xff;
  }
}

const scenarios: Record<string, () => Promise<void>> = {
  async echo() {
    // The resolver the client is given counts the lookups asked of it: `config.lookups` says how many the host
    // needs (1 for a name, 0 for a literal IPv4 address, which skips the resolver).
    let lookups = 0;
    class CountingResolver {
      #resolver: Resolver;
      constructor(options: any) { this.#resolver = new Resolver(options); }
      resolve(request: any) {
        lookups++;
        this.#resolver.resolve(request);
      }
    }
    const c = connect(host, port, { ca, dns: { io: CountingResolver, servers: ["1.1.1.1"], socket: { io: UDP } } });
    await opened(c);
    report("echo-resolver-lookups", lookups === config.lookups, `${lookups} lookups of ${host}, wanted ${config.lookups}`);
    const message = new Uint8Array(ArrayBuffer.fromString("hello, field device"));
    const reply = new Uint8Array(message.length);
    let sent = 0, have = 0;
    while (have < reply.length) {
      if (sent < message.length) sent += c.write(message, sent);
      have += c.read(reply, have);
      if (have < reply.length && (await c.wait(5000)) === "timeout") break;
    }
    report("echo-round-trip", String.fromArrayBuffer(reply.buffer) === "hello, field device", `got ${have} bytes`);
    report("is-open-while-connected", c.isOpen());
    c.close();
    report("closed-after-close", !c.isOpen() && c.state === "closed");
    try {
      c.write(message);
      report("write-after-close-is-coded", false, "no error");
    } catch (error) {
      report("write-after-close-is-coded", error instanceof TLSError && error.code === "TLS_CLOSED", describe(error));
    }
  },

  async download() {
    // A small rx ring against a server that sends fast: backpressure, and every byte in order. The ring fills (the
    // server is faster than this reader), so the client must leave the rest in the socket until there is room again:
    // the ring was seen full, and yet every byte arrived, in order.
    const total = config.size as number;
    const rxSize = 512;
    const c = connect(host, port, { ca, rxSize });
    await opened(c);
    const chunk = new Uint8Array(300);
    const expect = new Pattern();
    let have = 0, bad = -1, filled = false;
    for (;;) {
      let n = 0;
      try {
        if (c.bytesAvailable() === rxSize) filled = true;
        n = c.read(chunk);
      } catch (error) {
        report("download-ends-with-tls-closed", error instanceof TLSError && error.code === "TLS_CLOSED", describe(error));
        break;
      }
      for (let i = 0; i < n; i++) if (chunk[i] !== expect.next() && bad < 0) bad = have + i;
      have += n;
      if (n === 0 && (await c.wait(5000)) === "timeout") {
        report("download-ends-with-tls-closed", false, "timeout");
        break;
      }
    }
    report("download-every-byte-in-order", have === total && bad < 0, `have ${have} of ${total}, first bad byte at ${bad}`);
    report("download-rx-ring-filled", filled, `bytesAvailable never reached the ring's ${rxSize} bytes: nothing was held back`);
    c.close();
  },

  async upload() {
    const total = config.size as number;
    const c = connect(host, port, { ca, txSize: (config.txSize as number | undefined) ?? 1024 });
    await opened(c);
    const chunk = new Uint8Array(700);
    const source = new Pattern();
    let sent = 0, offered = 0, fill = 0, zeroWrites = 0;
    while (sent < total) {
      if (fill === offered) {
        fill = Math.min(chunk.length, total - sent);
        for (let i = 0; i < fill; i++) chunk[i] = source.next();
        offered = 0;
      }
      const n = c.write(chunk, offered, fill - offered);
      if (n === 0) {
        zeroWrites++;
        // Waits for room even while the echo-less sink has nothing to read: no polling.
        if ((await c.wait(5000, "writable")) === "timeout") break;
      }
      offered += n;
      sent += n;
    }
    while (c.pending > 0) if ((await c.wait(5000)) === "timeout") break;
    report("upload-all-bytes-taken", sent === total, `${sent} of ${total}`);
    report("upload-full-tx-ring-returns-0", zeroWrites > 0, "the tx ring never filled");
    c.close();
  },

  async refused() {
    const c = connect(host, port, { ca, connectTimeout: (config.connectTimeout as number | undefined) ?? 10000 });
    try {
      await opened(c);
      report("refusal-is-coded", false, "connected");
    } catch (error) {
      const expected = config.expect as string;
      report("refusal-is-coded", error instanceof TLSError && error.code === expected, `${describe(error)} (wanted ${expected})`);
      report("refusal-state-is-failed", c.state === "failed" && !c.isOpen());
      try {
        c.bytesAvailable();
        report("refusal-surfaces-on-next-call", false, "no throw");
      } catch (again) {
        report("refusal-surfaces-on-next-call", again instanceof TLSError && again.code === expected, describe(again));
      }
    }
    c.close();
  },

  async unverified() {
    const c = connect(host, port, { verify: false });
    try {
      await opened(c);
      report("verify-off-connects", true);
    } catch (error) {
      report("verify-off-connects", false, describe(error));
    }
    c.close();
  },

  async "bad-arguments"() {
    const cases: [string, () => unknown][] = [
      ["port-zero", () => connect(host, 0, { ca })],
      ["port-too-large", () => connect(host, 70000, { ca })],
      ["empty-host", () => connect("", 443, { ca })],
      ["host-with-port", () => connect("example.com:443", 443, { ca })],
      ["no-ca", () => connect(host, 443, {})],
      ["tiny-ring", () => connect(host, 443, { ca, rxSize: 0 })],
    ];
    for (const [name, attempt] of cases) {
      try {
        attempt();
        report(`bad-argument-${name}`, false, "accepted");
      } catch (error) {
        report(`bad-argument-${name}`, error instanceof TLSError && error.code === "TLS_BAD_ARGUMENT", describe(error));
      }
    }
    const c = connect(host, port, { ca });
    try {
      c.read(new Uint8Array(4), 2, 8);
      report("bad-argument-read-range", false, "accepted");
    } catch (error) {
      report("bad-argument-read-range", error instanceof TLSError && error.code === "TLS_BAD_ARGUMENT", describe(error));
    }
    c.close();
  },
};

const name = config.scenario as string;
const scenario = scenarios[name];
if (!scenario) {
  report(`scenario-${name}`, false, "no such scenario");
  trace("done\n");
} else {
  scenario().then(
    () => trace("done\n"),
    (error) => {
      report(`scenario-${name}`, false, describe(error));
      trace("done\n");
    });
}
