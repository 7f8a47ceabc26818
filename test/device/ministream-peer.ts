// Device-side end of the tunnel tests against a scripted Node peer (test/ministream-*.test.js). The device dials
// the Node peer's link port (config.port) and is either end:
//   role "server": a tunnel whose service is config.service ({ kind: "tcp" | "tls", port }: a Node server on
//     127.0.0.1); the Node peer plays the client and checks every byte the device sends. The run ends when the Node
//     peer closes the link ("done").
//   role "client": the device opens streams and checks what it reads; the Node peer plays the server and checks
//     the device's bytes. config.scenario names the script: "a", "b", "c" (the seed's conversations) or "bad".
// config.ids pins the ids the device allocates (then a counter from 0x000100); config.key is the SYN key (hex);
// config.linkKind "connection" runs the tunnel over a connection in the TLS client's shape (ministream/link's
// ConnectionLink, as over a relay link) instead of a bare socket.
import config from "mc/config";
import Resource from "Resource";
import { connect } from "tls/client";
import { Tunnel } from "ministream/tunnel";
import { TCPLink, ConnectionLink } from "ministream/link";
import { connectTCP } from "ministream/tcp";
import type { MiniStream } from "ministream/stream";
import type { Connection } from "ministream/connection";
import { MS_REFUSED, MS_CLOSED, MS_PROTOCOL } from "ministream/errors";
import { check, equal, hex, toHex, reportAsync } from "./ministream/check";

type Service = { kind: "tcp" | "tls"; port: number };
const port = config.port as number;
const role = config.role as "server" | "client";
const ids = ((config.ids as number[] | undefined) ?? []).slice();
const key = hex((config.key as string | undefined) ?? "01 02 03 04");
let counter = 0x000100;

function service(): ((key: Uint8Array, clientId: number) => Connection) | undefined {
  const s = config.service as Service | undefined;
  if (!s) return undefined;
  if (s.kind === "tls") {
    const ca = new Resource("ca.der").slice(0);
    return () => connect("localhost", s.port, { ca, rxSize: 2048, txSize: 1024, connectTimeout: 5000 });
  }
  return () => connectTCP("127.0.0.1", s.port, { rxSize: 2048, txSize: 1024, connectTimeout: 5000 });
}

const tunnel = new Tunnel({
  key,
  service: service(),
  maxStreams: 8,
  connectTimeout: 5000,
  lingerTimeout: 2000,
  ids: () => (ids.length > 0 ? ids.shift()! : counter++),
  tag: "ministream",
});

const onLost = (reason: string) => {
  trace(`link lost: ${reason}\n`);
  if (role === "server") trace("done\n");
};
// config.linkKind "connection": the link is a TCPConnection (the TLS client's shape, as a relay link has) through
// ConnectionLink; otherwise a socket through TCPLink.
const link = config.linkKind === "connection"
  ? new ConnectionLink(tunnel, connectTCP("127.0.0.1", port, { rxSize: 4096, txSize: 4096 }), { onLost })
  : new TCPLink(tunnel, { address: "127.0.0.1", port, onLost });

/** Waits until `done(stream)` holds, up to `ms`. */
async function until(stream: MiniStream, done: (s: MiniStream) => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!done(stream)) {
    const left = end - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for ${what} (state ${stream.state})`);
    await stream.wait(left);
  }
}

/** Reads everything until the stream is over; returns the bytes and how it ended (the error's code). */
async function readAll(stream: MiniStream, ms: number): Promise<{ bytes: Uint8Array; end: string }> {
  const buffer = new Uint8Array(8192);
  let at = 0;
  const end = Date.now() + ms;
  for (;;) {
    try {
      const n = stream.read(buffer, at);
      at += n;
      if (n > 0) continue;
    } catch (e) {
      return { bytes: buffer.slice(0, at), end: (e as { code?: string }).code ?? String(e) };
    }
    const left = end - Date.now();
    if (left <= 0) return { bytes: buffer.slice(0, at), end: "timeout" };
    await stream.wait(left, "readable");
  }
}

function text(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function closeLink(): void {
  link.close();
  trace("done\n");
}

async function client(scenario: string): Promise<void> {
  if (scenario === "a") {
    await reportAsync("client-a-refused-with-ms-refused", async () => {
      const s = tunnel.open();
      equal(s.clientId, 0x123456, "client id");
      await until(s, (x) => x.state !== "connecting", 5000, "the answer to the SYN");
      equal(s.state, "failed", "state");
      equal(s.error?.code, MS_REFUSED, "error");
      equal(tunnel.openStreams, 0, "the slot is free again");
    });
  } else if (scenario === "b") {
    await reportAsync("client-b-reads-the-servers-data-then-closes", async () => {
      const s = tunnel.open();
      await until(s, (x) => x.state !== "connecting", 5000, "the ACK");
      equal(s.state, "open", "state");
      equal(s.serverId, 0x987654, "server id from the ACK");
      const want = hex(config.data as string);
      const got = new Uint8Array(want.length);
      let at = 0;
      while (at < want.length) {
        at += s.read(got, at);
        if (at < want.length) await s.wait(5000, "readable");
      }
      equal(toHex(got), toHex(want), "data");
      s.close();
      await until(s, (x) => x.state === "closed", 2000, "the Close to go");
    });
  } else if (scenario === "c") {
    await reportAsync("client-c-sends-first-reads-the-answer-until-the-servers-close", async () => {
      const s = tunnel.open();
      const request = hex(config.request as string);
      equal(s.write(request), request.length, "request queued before the ACK");
      const { bytes, end } = await readAll(s, 5000);
      equal(toHex(bytes), toHex(hex(config.answer as string)), "answer");
      equal(end, MS_CLOSED, "ends with the server's Close");
      check(s.peerClosed, "the peer closed");
      equal(s.serverId, 0xffffff, "server id");
    });
  } else if (scenario === "bad") {
    await bad();
  }
  closeLink();
}

/** Streams 0x000101..0x000106; the Node peer answers each one wrongly but the last (test/ministream-bad.test.js). */
async function bad(): Promise<void> {
  const streams: MiniStream[] = [];
  for (let i = 0; i < 6; i++) streams.push(tunnel.open());
  const ended = (x: MiniStream) => x.state === "failed" || x.state === "closed";
  const cases: [string, number, string][] = [
    ["client-ack-with-a-2-byte-payload-fails-that-stream", 0, "S2C_ACK with a 2-byte payload"],
    ["client-ack-with-server-id-000000-fails-that-stream", 1, "reserved server id"],
    ["client-data-before-the-ack-fails-that-stream", 2, "not ACKed yet"],
    ["client-second-ack-fails-that-stream", 3, "second S2C_ACK"],
    ["client-data-past-the-window-fails-that-stream", 4, "ignored the window"],
  ];
  for (const [name, i, words] of cases) {
    await reportAsync(name, async () => {
      const s = streams[i]!;
      await until(s, ended, 5000, "the stream to end");
      equal(s.state, "failed", "state");
      equal(s.error?.code, MS_PROTOCOL, "code");
      check(s.error!.message.indexOf(words) >= 0, `reason "${s.error!.message}" names "${words}"`);
    });
  }
  await reportAsync("client-good-stream-untouched-by-the-bad-ones", async () => {
    const s = streams[5]!;
    const { bytes, end } = await readAll(s, 5000);
    equal(text(bytes), "still fine", "data");
    equal(end, MS_CLOSED, "ends with the server's Close");
  });
  await reportAsync("client-every-slot-free-again", async () => {
    equal(tunnel.openStreams, 0, "open streams");
  });
}

if (role === "client") {
  client(config.scenario as string).catch((e) => {
    trace(`not ok client-script ${String(e)}\n`);
    closeLink();
  });
} else {
  trace(`serving on the link to ${port}\n`);
}
