// Bulk bytes through TIPI handles, both ways, checked by SHA-256 against real TLS servers: the read path, the write
// path paced by the connection's own events, and a close right behind a write that must not cut it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as S from "./support/servers.js";
import { tipiDevice } from "./support/tipi.js";

const t = await tipiDevice({ echo: false });

test("transfer: 2 MiB from a TLS server arrive intact (SHA-256), and the end of the stream is seen", async () => {
  const size = 2 * 1024 * 1024;
  const source = await S.tlsSource(size, { seed: 21 });
  try {
    assert.ok(await t.client.open(20, `localhost:${source.port}`));
    const hash = (await import("node:crypto")).createHash("sha256");
    const started = Date.now();
    const total = await t.client.readToEnd(20, { onData: (chunk) => hash.update(chunk) });
    const ms = Date.now() - started;
    assert.is(total, size);
    assert.is(hash.digest("hex"), S.sha256(S.pattern(size, 21)));
    console.log(`    2 MiB device -> host in ${ms} ms (${(size / 1024 / ms * 1000).toFixed(0)} KiB/s)`);
    assert.ok(await t.client.close(20));
  } finally {
    await source.close();
  }
});

test("transfer: 2 MiB to a TLS server arrive intact (SHA-256)", async () => {
  const size = 2 * 1024 * 1024;
  const sink = await S.tlsSink();
  try {
    assert.ok(await t.client.open(21, `localhost:${sink.port}`));
    const data = S.pattern(size, 22);
    const started = Date.now();
    assert.ok(await t.client.write(21, data));
    assert.ok(await t.client.close(21)); // the device closes its side: the sink records what it got
    const [received] = await sink.waitReceived(1, 20000);
    const ms = Date.now() - started;
    assert.is(received.bytes, size);
    assert.is(received.sha256, S.sha256(data));
    console.log(`    2 MiB host -> device in ${ms} ms (${(size / 1024 / ms * 1000).toFixed(0)} KiB/s)`);
  } finally {
    await sink.close();
  }
});

test("transfer: a close right behind a write sends every byte first (20 rounds)", async () => {
  const sink = await S.tlsSink();
  try {
    for (let round = 0; round < 20; round++) {
      assert.ok(await t.client.open(22, `localhost:${sink.port}`));
      const data = S.pattern(5000 + round * 777, round + 1);
      const [wrote, closed] = await Promise.all([t.client.write(22, data), t.client.close(22)]); // pipelined
      assert.ok(wrote && closed);
      const received = await sink.waitReceived(round + 1);
      assert.is(received[round].sha256, S.sha256(data), `round ${round}`);
    }
  } finally {
    await sink.close();
  }
});

test("transfer: the device never aborted and logged no internal error", () => {
  t.healthy();
});

test.after(() => t.close());
test.run();
