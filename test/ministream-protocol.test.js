// The ministream wire format (modules/ministream/protocol) inside XS: the cases of test/device/ministream-protocol.ts,
// one test each: the seed's conversations encoded byte for byte, need-more vs bad frame at every prefix, ids, types
// and payload sizes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runDevice } from "./support/device.js";

const report = await runDevice("ministream-protocol-test", { manifest: "test/device/ministream/manifest.json" });

// Every case of test/device/ministream-protocol.ts, in the order it runs them: the device must report exactly these.
const CASES = [
  "types-carry-the-seeds-values",
  "seed-conversation-a-bytes",
  "seed-conversation-b-bytes",
  "seed-conversation-c-bytes-with-52-for-the-servers-close",
  "window-and-chaff-bytes",
  "decode-round-trip-every-type",
  "every-proper-prefix-needs-more-bytes",
  "decoder-reads-only-the-available-bytes",
  "length-0-is-a-bad-frame-of-2-bytes",
  "truncated-messages-are-bad-frames-of-their-length",
  "chaff-is-a-3-byte-frame",
  "the-reserved-id-is-refused",
  "payload-sizes-are-checked-per-type",
  "unknown-types-are-refused-with-their-range",
  "encoders-refuse-what-cannot-be-sent",
  "a-stream-of-frames-decodes-in-step-across-bad-ones",
];

test("ministream protocol: device suite ran to the end in XS without an abort, reporting every case once, in order", () => {
  assert.is(report.aborted, null);
  assert.ok(report.done, "no `done` line");
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`ministream protocol: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
}

test.run();
