// Device-side bulk runs: both ends of a tunnel in one device, each over its own TCP link to a Node pipe that joins
// the two (config.pipe), so every frame crosses a real socket with real backpressure. The server tunnel's service
// is config.service ({ kind: "tcp" | "tls", port }: a Node server on 127.0.0.1).
//   scenario "many": config.streams streams at once, each uploads config.size bytes of pattern(size, i + 1) to an
//     echo service and reads the echo back; the device reports the SHA-256 of what came back ("sha <i> <hex> <n>").
//   scenario "stall": the service sends config.size bytes (pattern(size, 1)) on every connection. First one stream
//     alone (the baseline); then streams A and B, with A not read at all until B has read everything: B must run
//     at full speed while A holds no more than its window. Reports "sha", and "figure <name> <value>" lines.
import config from "mc/config";
import Resource from "Resource";
import { connect } from "tls/client";
import { Tunnel } from "ministream/tunnel";
import { TCPLink } from "ministream/link";
import { connectTCP } from "ministream/tcp";
import type { MiniStream } from "ministream/stream";
import type { Connection } from "ministream/connection";
import { INITIAL_WINDOW } from "ministream/protocol";
import { check, equal, hex, reportAsync, Pattern, echoPattern, drainToClose } from "./ministream/check";

type Service = { kind: "tcp" | "tls"; port: number };
const svc = config.service as Service;
const pipe = config.pipe as number;
const size = config.size as number;
const scenario = config.scenario as string;
const count = (config.streams as number | undefined) ?? 8;
const ca = new Resource("ca.der").slice(0);

function service(): Connection {
  if (svc.kind === "tls") return connect("localhost", svc.port, { ca, rxSize: 2048, txSize: 1024, connectTimeout: 10000 });
  return connectTCP("127.0.0.1", svc.port, { rxSize: 2048, txSize: 1024, connectTimeout: 10000 });
}

const server = new Tunnel({ service, maxAccepted: 16, connectTimeout: 15000, tag: "server" });
const client = new Tunnel({ key: hex("c0 ff ee 00 c0 ff ee 01"), maxStreams: 16, connectTimeout: 15000, tag: "client" });
const links = [
  new TCPLink(server, { address: "127.0.0.1", port: pipe }),
  new TCPLink(client, { address: "127.0.0.1", port: pipe }),
];

async function opened(s: MiniStream): Promise<void> {
  while (s.state === "connecting") await s.wait(15000);
  equal(s.state, "open", "stream state");
}

/** Uploads `size` pattern bytes and hashes what comes back, both at once; returns the hash. */
async function echoRun(s: MiniStream, seed: number): Promise<{ sha: string; bytes: number }> {
  await opened(s);
  return echoPattern(s, size, seed, 10000);
}

/** Reads until the peer's Close; returns the hash and the count. */
async function drain(s: MiniStream): Promise<{ sha: string; bytes: number }> {
  await opened(s);
  return drainToClose(s, 10000);
}

async function many(): Promise<void> {
  await reportAsync("many-streams-echo-in-full", async () => {
    const streams: MiniStream[] = [];
    for (let i = 0; i < count; i++) streams.push(client.open());
    const runs: Promise<{ sha: string; bytes: number }>[] = [];
    for (let i = 0; i < count; i++) runs.push(echoRun(streams[i]!, i + 1));
    const results = await Promise.all(runs);
    for (let i = 0; i < count; i++) {
      trace(`sha ${i} ${results[i]!.sha} ${results[i]!.bytes}\n`);
      equal(results[i]!.bytes, size, `stream ${i} bytes back`);
    }
  });
}

async function stall(): Promise<void> {
  let alone = 0;
  await reportAsync("stall-baseline-one-stream-alone", async () => {
    const t = Date.now();
    const r = await drain(client.open());
    alone = Date.now() - t;
    equal(r.bytes, size, "bytes");
    trace(`sha alone ${r.sha} ${r.bytes}\n`);
    trace(`figure alone-ms ${alone}\n`);
  });
  await reportAsync("stall-b-runs-while-a-is-not-read", async () => {
    const a = client.open();
    const b = client.open();
    await opened(a);
    const t = Date.now();
    const rb = await drain(b);
    const both = Date.now() - t;
    equal(rb.bytes, size, "B's bytes");
    trace(`sha b ${rb.sha} ${rb.bytes}\n`);
    trace(`figure stalled-b-ms ${both}\n`);
    trace(`figure a-held-bytes ${a.readable}\n`);
    check(a.readable <= INITIAL_WINDOW, `A holds ${a.readable} bytes, more than its window ${INITIAL_WINDOW}`);
    check(a.readable > 0, "A received its window's worth before stalling");
    equal(a.state, "open", "A still open");
    const ra = await drain(a);
    equal(ra.bytes, size, "A's bytes once read");
    trace(`sha a ${ra.sha} ${ra.bytes}\n`);
  });
}

(scenario === "many" ? many() : stall()).then(() => {
  for (const l of links) l.close();
  trace("done\n");
}, (e) => {
  trace(`not ok ${scenario}-script ${String(e)}\n`);
  for (const l of links) l.close();
});
