// What the TIPI tests share: a simulated device running apps/tipi (client/tipi-sim.js), its log, a host client on its
// link (client/tipi-client.js), a TLS echo server, and helpers to read exactly, wait for a log line, speak raw bytes
// on the link, and run the `tipi` command.
import net from "node:net";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as assert from "uvu/assert";
import * as S from "./servers.js";
import { startDevice } from "../../client/tipi-sim.js";
import { TipiClient, frame } from "../../client/tipi-client.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CLI = fileURLToPath(new URL("../../client/tipi-cli.js", import.meta.url));
/** The test server's certificate chain: leaf + issuing CA, as the board needs. */
export const chain = Buffer.concat([S.certs.serverPem, Buffer.from("\n"), S.certs.caPem]);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const hex = (text) => Buffer.from(text.replace(/\s+/g, ""), "hex");
export const openFrame = (handle, target) => frame(Buffer.concat([Buffer.from([0x24, handle, 0x01]), Buffer.from(target, "latin1")]));
export const readFrame = (handle, size) => frame(Buffer.from([0x24, handle, 0x04, size >> 8, size & 0xff]));

/** Read exactly n bytes from a handle (asking again while nothing is buffered). */
export async function readExactly(tipi, handle, n, { ms = 10000, max = 4096 } = {}) {
  const chunks = [];
  let have = 0;
  const end = Date.now() + ms;
  while (have < n) {
    const chunk = await tipi.read(handle, Math.min(max, n - have));
    if (chunk.length) {
      chunks.push(chunk);
      have += chunk.length;
    } else {
      if (Date.now() > end) throw new Error(`read ${handle}: ${have} of ${n} bytes after ${ms} ms`);
      await sleep(2);
    }
  }
  return Buffer.concat(chunks);
}

/** A round trip through an echo handle: proof that the link and that handle still work. */
export async function echoes(tipi, handle, text) {
  assert.ok(await tipi.write(handle, text), `write ${handle}`);
  assert.is((await readExactly(tipi, handle, Buffer.byteLength(text))).toString(), text);
}

/**
 * A raw socket to `port`: send(bytes); take(n) resolves with exactly the next n bytes received (fails after ms);
 * closed(ms) resolves when the other side closed it; close() ends it after what was sent; destroy().
 */
export async function rawSocket(port) {
  const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
  await new Promise((resolve, reject) => { socket.once("connect", resolve); socket.once("error", reject); });
  let inbox = Buffer.alloc(0);
  let waiter = null;
  let ended = false;
  socket.on("data", (chunk) => {
    inbox = Buffer.concat([inbox, chunk]);
    waiter?.();
  });
  socket.on("error", () => {});
  const gone = new Promise((resolve) => socket.on("close", () => { ended = true; waiter?.(); resolve(); }));
  return {
    send: (bytes) => socket.write(Buffer.from(bytes)),
    close: () => socket.end(),
    destroy: () => socket.destroy(),
    /** Resolves when the other side closed it; rejects after `ms`. */
    closed: (ms = 5000) => Promise.race([gone, sleep(ms).then(() => { if (!ended) throw new Error(`raw link: still open after ${ms} ms`); })]),
    get ended() { return ended; },
    get received() { return inbox.length; },
    async take(n, ms = 5000) {
      const end = Date.now() + ms;
      while (inbox.length < n) {
        if (Date.now() > end || ended) throw new Error(`raw link: ${inbox.length} of ${n} bytes (${inbox.toString("hex")})${ended ? ", closed" : ""}`);
        await new Promise((resolve) => { waiter = resolve; setTimeout(resolve, 20); });
      }
      const out = inbox.subarray(0, n);
      inbox = inbox.subarray(n);
      return Buffer.from(out);
    },
  };
}

/**
 * Over a raw link: read requests on `handle` until `n` bytes have come (an echo may arrive in pieces), each asking
 * for `size(have)` bytes and answered with a frame of at most that many; returns every byte the replies carried.
 */
export async function rawRead(raw, handle, n, size, ms = 5000) {
  const chunks = [];
  let have = 0;
  const end = Date.now() + ms;
  while (have < n) {
    const ask = size(have);
    raw.send(readFrame(handle, ask));
    const length = (await raw.take(2)).readUInt16BE(0);
    assert.ok(length <= ask, `a read of ${ask} answered with ${length} bytes`);
    chunks.push(await raw.take(length));
    have += length;
    if (!length) {
      if (Date.now() > end) throw new Error(`raw read ${handle}: ${have} of ${n} bytes after ${ms} ms`);
      await sleep(2);
    }
  }
  return Buffer.concat(chunks);
}

/** Run the `tipi` command: resolves { code, stdout (Buffer), stderr (string) }. */
export function cli(args, { input, cwd = ROOT, env } = {}) {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { encoding: "buffer", cwd, env: env ?? process.env },
      (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr: stderr.toString() }));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/**
 * A simulated device (apps/tipi) with its log, a TLS echo server, and a client on the device's link. `tipi`
 * overrides config.tipi. The client is replaced by `reconnect()` (a test that took the link over calls it).
 */
export async function tipiDevice({ tipi, echo = true } = {}) {
  const log = [];
  const device = await startDevice({ tipi, onTrace: (line) => log.push(line) });
  const echoServer = echo ? await S.tlsEcho() : undefined;
  const t = {
    device,
    log,
    echo: echoServer,
    ECHO: echoServer ? `localhost:${echoServer.port}` : undefined,
    client: await TipiClient.connect(device.link),
    mark: () => log.length,
    since: (at) => log.slice(at),
    /** Wait until a device log line (after `at`) matches `pattern`; returns it. */
    async logged(at, pattern, ms = 5000) {
      const end = Date.now() + ms;
      for (;;) {
        const line = log.slice(at).find((l) => pattern.test(l));
        if (line) return line;
        if (Date.now() > end) throw new Error(`no log line matching ${pattern}; got:\n${log.slice(at).join("\n")}`);
        await sleep(10);
      }
    },
    async reconnect() {
      t.client.end();
      t.client = await TipiClient.connect(device.link);
    },
    /**
     * A raw socket on the link for fn(raw). It takes the link over with its first request (the client's link is
     * closed then); the client reconnects afterwards (handles stay open across links).
     */
    async withRawLink(fn) {
      const raw = await rawSocket(device.port);
      try {
        await fn(raw);
      } finally {
        raw.destroy();
        await t.reconnect();
      }
    },
    /** The device never aborted and logged no internal error. */
    healthy() {
      assert.is(device.sim.aborted, null);
      const bad = log.filter((line) => /internal error/.test(line));
      assert.equal(bad, [], bad.join("\n"));
    },
    async close() {
      t.client.end();
      await device.close();
      await echoServer?.close();
    },
  };
  return t;
}
