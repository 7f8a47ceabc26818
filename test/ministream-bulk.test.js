// Both ends of a tunnel in one device, each on its own TCP link through a Node pipe (real sockets, real
// backpressure): many concurrent streams with SHA-256-checked bulk data both ways through TLS and plain TCP
// services, and a stalled reader on one stream while another streams at full speed beside it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { pipeServer, service, echo, startDevice } from "./device/ministream/peer.js";
import { tlsSource, sha256, pattern } from "./support/servers.js";

async function run(config) {
  const pipe = await pipeServer();
  try {
    const { finished } = await startDevice("ministream-bulk-test", { pipe: pipe.port, ...config }, { timeout: 120000 });
    const r = await finished;
    assert.is(r.aborted, null, "the device aborted");
    assert.not.ok(r.timedOut, "the device did not finish");
    for (const c of r.cases) assert.ok(c.ok, `${c.name}: ${c.why}`);
    assert.ok(r.done, "no `done` line");
    const shas = new Map();
    const figures = new Map();
    for (const line of r.traces) {
      let m = /^sha (\S+) ([0-9a-f]{64}) (\d+)$/.exec(line);
      if (m) shas.set(m[1], { sha256: m[2], bytes: Number(m[3]) });
      m = /^figure (\S+) (\d+)$/.exec(line);
      if (m) figures.set(m[1], Number(m[2]));
    }
    return { ...r, shas, figures };
  } finally {
    await pipe.close();
  }
}

for (const secure of [true, false]) {
  const kind = secure ? "tls" : "tcp";
  test(`8 concurrent streams each echo 96 KiB through a ${kind.toUpperCase()} service: SHA-256 right both ways`, async () => {
    const size = 96 * 1024;
    const svc = await service({ secure }, echo);
    try {
      const r = await run({ scenario: "many", streams: 8, size, service: { kind, port: svc.port } });
      assert.equal(r.cases.map((c) => c.name), ["many-streams-echo-in-full"]);
      for (let i = 0; i < 8; i++) {
        const want = sha256(pattern(size, i + 1));
        assert.equal(r.shas.get(String(i)), { sha256: want, bytes: size }, `stream ${i}: what came back`);
      }
      for (let i = 0; i < 50 && svc.received.length < 8; i++) await new Promise((done) => setTimeout(done, 20));
      const sent = [...Array(8).keys()].map((i) => sha256(pattern(size, i + 1))).sort();
      assert.equal(svc.received.map((x) => x.sha256).sort(), sent, "what each service connection received");
      assert.ok(svc.received.every((x) => x.bytes === size));
    } finally {
      await svc.close();
    }
  });
}

test("a stream that is not read holds only its window while another stream runs at full speed beside it", async () => {
  const size = 512 * 1024;
  const source = await tlsSource(size);
  try {
    const r = await run({ scenario: "stall", size, service: { kind: "tls", port: source.port } });
    assert.equal(r.cases.map((c) => c.name), ["stall-baseline-one-stream-alone", "stall-b-runs-while-a-is-not-read"]);
    const want = { sha256: sha256(pattern(size, 1)), bytes: size };
    assert.equal(r.shas.get("alone"), want, "the baseline stream");
    assert.equal(r.shas.get("b"), want, "B, read while A stalled");
    assert.equal(r.shas.get("a"), want, "A, read afterwards");
    const alone = r.figures.get("alone-ms");
    const stalled = r.figures.get("stalled-b-ms");
    console.log(`  stall: B alone ${alone} ms, B beside a stalled A ${stalled} ms; A held ${r.figures.get("a-held-bytes")} bytes`);
    // Same work either way (A stalled costs the link nothing once its window is spent): allow scheduling noise.
    assert.ok(stalled <= alone * 2 + 500, `B beside a stalled A took ${stalled} ms, alone ${alone} ms`);
  } finally {
    await source.close();
  }
});

test.run();
