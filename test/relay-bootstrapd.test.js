// Our device client (modules/relay, in XS) against the real tox-bootstrapd 0.2.18 (Debian toxcore-utils): the proof
// of wire compatibility. tox-bootstrapd binds 0.0.0.0 and has no option against it, so it runs in a network
// namespace of its own that has only `lo` (unshare -n), and the simulated device runs inside that namespace too
// (nsenter). Nothing is skipped: without tox-bootstrapd the test fails and says what to install.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startBootstrapd, streamDigest, newSecret, hex, prepareNoble } from "./device/relay/support.js";

let relay;

test.before(async () => {
  prepareNoble();
  relay = await startBootstrapd();
});

test.after(async () => {
  if (relay) await relay.stop();
});

async function scenario(config) {
  const { code, stdout, stderr } = await relay.runNode(["test/device/relay/in-namespace.js", JSON.stringify({
    port: relay.port, relayKey: relay.keyHex, host: "127.0.0.1", ...config,
  })]);
  const last = stdout.trim().split("\n").pop();
  let report;
  try {
    report = JSON.parse(last);
  } catch {
    throw new Error(`the device run inside the namespace failed (exit ${code}):\n${stdout}\n${stderr}`);
  }
  assert.is(report.aborted, null, `XS abort: ${report.aborted}`);
  assert.not.ok(report.timedOut, "the device did not finish");
  assert.ok(report.done, "no `done` line");
  for (const c of report.cases) assert.ok(c.ok, `${c.name}: ${c.why}\n${stdout}`);
  return report;
}

test("tox-bootstrapd: handshake, first ping confirms, self -> id 0, two device clients link and exchange 32 KiB each way (SHA-256), maxLinks, close tells the peer", async () => {
  const size = 32768;
  const report = await scenario({ scenario: "exchange", size, secretKey: hex(newSecret()), peerSecretKey: hex(newSecret()) });
  assert.equal(report.cases.map((c) => c.name), ["both-open", "self-route-refused", "linked", "exchange-both-ways", "max-links", "close-clean"]);
  assert.is(report.digests["a-to-b"], await streamDigest(size, 1));
  assert.is(report.digests["b-to-a"], await streamDigest(size, 2));
});

test("tox-bootstrapd: a disconnect notification reaches the peer, other links go on, relinking works", async () => {
  const report = await scenario({ scenario: "disconnect" });
  assert.equal(report.cases.map((c) => c.name), ["all-open", "linked", "peer-close-notified", "other-link-unaffected", "relink-after-disconnect"]);
  assert.is(report.digests["a-to-c"], await streamDigest(4096, 3));
});

test("tox-bootstrapd: a handshake made with the wrong relay key is closed without a reply (RELAY_CONNECT_FAILED)", async () => {
  const report = await scenario({ scenario: "wrong-key" });
  assert.equal(report.cases.map((c) => c.name), ["wrong-relay-key-refused", "bad-arguments-coded"]);
});

test.run();
