// The Secure Streams serialization codec (modules/ss/serial) in XS: every frame of the lws proxy protocol encoded
// byte for byte as the real lws 4.4.5 proxy and client put them on the wire (the golden frames, each case naming
// the lws function it follows), and a decoder that tells "need more bytes" from a bad frame. The proxy and the
// proxied client built on it: test/ss-proxy.test.js and test/ss-proxy-bad.test.js.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runDevice } from "./support/device.js";
import { SERIAL_CASES } from "./device/ss-proxy/cases.js";

const CASES = SERIAL_CASES;

const report = await runDevice("test/device/ss-proxy/proxy", {
  manifest: "test/device/ss-proxy/manifest.json", timeout: 30000,
  config: { only: "serial", policy: '{"s": [{"x": {"endpoint": "127.0.0.1", "port": 1, "protocol": "raw"}}]}', proxyPort: 1, proxyPort2: 1 },
});

test("ss-serial: the device ran every codec case once, in order, without an abort", () => {
  assert.is(report.aborted, null);
  assert.ok(report.done, report.traces.slice(-20).join("\n"));
  assert.equal(report.cases.map((c) => c.name), CASES);
});

for (const name of CASES) {
  test(`ss-serial: ${name}`, () => {
    const c = report.cases.find((c) => c.name === name);
    assert.ok(c, "not reported");
    assert.ok(c.ok, c.why);
  });
}

test.run();
