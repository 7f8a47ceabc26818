// TIPI over serial links, both ends. The device's UART link (tipi/uart-link, `embedded:io/serial`), as on a board:
// the simulated device opens a pty by path (the SDK's Linux serial does the same), and the host reaches the pty's
// other side through a small python bridge (test/support/pty-bridge.js). The host's serial link (`tipi --link /dev/ttyUSB0`): the host library
// opens a pty by path whose other side is bridged to a simulated device's TCP link. Both ends open ports with
// sim/serial-port.js. The same TipiServer, the same host library, the same bytes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { Simulator } from "../sim/simulator.js";
import { TipiClient } from "../client/tipi-client.js";
import * as S from "./support/servers.js";
import { tipiDevice, readExactly } from "./support/tipi.js";
import { startPtyBridge, lineFrom } from "./support/pty-bridge.js";

test("uart: open, write, read and close a TLS handle through the device's serial link (a pty)", async () => {
  const echo = await S.tlsEcho();
  const bridge = await startPtyBridge();
  const { device, port } = bridge;
  const log = [];
  let sim;
  let client;
  try {
    sim = await Simulator.start({
      manifest: "test/device/tipi-uart/manifest.json",
      config: { tipi: { serial: { device, baud: 115200 } } },
      onTrace: (line) => log.push(line),
    });
    sim.launch("main");
    client = await TipiClient.connect(`127.0.0.1:${port}`);
    assert.ok(await client.open(7, `localhost:${echo.port}`), log.join("\n"));
    const data = Buffer.from(S.pattern(20000, 7)); // every byte value, raw over the tty
    assert.ok(await client.write(7, data));
    const got = [];
    let have = 0;
    const deadline = Date.now() + 30000;
    while (have < data.length) {
      const chunk = await client.read(7, 2048);
      got.push(chunk);
      have += chunk.length;
      if (!chunk.length) {
        assert.ok(Date.now() < deadline, `the echo: ${have} of ${data.length} bytes after 30 s`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    assert.equal(Buffer.concat(got), data);
    assert.ok(await client.close(7));
    assert.ok(log.some((line) => /^tipi: serving the TLS extension on the UART \(\/dev\/.+, 115200 baud\); trusted CA: resource "ca\.der" \(479 bytes\)$/.test(line)), log.join("\n"));
    assert.is(sim.aborted, null);
  } finally {
    client?.end();
    await sim?.close();
    bridge.close();
    await echo.close();
  }
});

// The host's side: a pty whose master side is copied to and from the device's TCP link.
const HOST_BRIDGE = `
import os, select, socket, sys, tty
master, slave = os.openpty()
tty.setraw(slave)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print(os.ttyname(slave), flush=True)
while True:
    r, _, _ = select.select([master, s, sys.stdin], [], [])
    if sys.stdin in r and not os.read(sys.stdin.fileno(), 1): break
    if master in r:
        try: data = os.read(master, 65536)
        except OSError: data = b""
        if data: s.sendall(data)
    if s in r:
        data = s.recv(65536)
        if not data: break
        os.write(master, data)
`;

test("serial: the host library opens a device path (a pty) as its link and speaks the same protocol", async () => {
  // python3 is part of every machine this project runs on (and of CI's); without it this test fails, never skips.
  const t = await tipiDevice();
  const bridge = spawn("python3", ["-c", HOST_BRIDGE, String(t.device.port)], { stdio: ["pipe", "pipe", "inherit"] });
  try {
    t.client.end(); // the pty's connection is the host from here on
    const [, path] = await lineFrom(bridge, /^(\/dev\/\S+)$/);
    const serial = await TipiClient.connect(path);
    try {
      assert.ok(await serial.open(110, t.ECHO));
      const data = Buffer.from(S.pattern(50000, 110)); // every byte value, raw
      assert.ok(await serial.write(110, data));
      assert.equal(await readExactly(serial, 110, data.length), data);
      assert.ok(await serial.close(110));
    } finally {
      serial.end();
    }
    t.healthy();
  } finally {
    bridge.stdin.end();
    bridge.kill();
    await t.close();
  }
});

test.run();
