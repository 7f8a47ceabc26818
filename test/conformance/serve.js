#!/usr/bin/env node
// Starts the conformance suite's fixture servers on the fixed 127.0.0.1 ports the case manifests give as their
// default `config.port`, for running the cases in the Moddable SDK's own simulator (see README.md):
//   node test/conformance/serve.js        (Ctrl-C to stop)
// Each fixture (test/support/conformance.js FIXTURES) listens on an ephemeral port; a plain TCP forwarder on the
// fixed port passes the bytes through untouched, so the TLS handshakes (and their refusals) are the fixture's own.
// `closedPort` is left closed: a connection to it must be refused.
import net from "node:net";
import { FIXTURES } from "../support/conformance.js";

const forwarders = [];
const fixtures = [];

function forward(fixedPort, targetPort) {
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    // An end passes through the pipes as an end; a reset from the fixture is passed on as a reset.
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => { if (!client.destroyed) client.resetAndDestroy(); });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(fixedPort, "127.0.0.1", () => resolve(server));
  });
}

for (const [name, fixture] of Object.entries(FIXTURES)) {
  if (fixture.serve === false) {
    console.log(`${String(fixture.port).padStart(5)}  ${name} (left closed)`);
    continue;
  }
  const handle = await fixture.start();
  fixtures.push(handle);
  forwarders.push(await forward(fixture.port, handle.port));
  console.log(`${String(fixture.port).padStart(5)}  ${name}`);
}
console.log("fixtures up on 127.0.0.1; Ctrl-C to stop");

process.on("SIGINT", async () => {
  for (const server of forwarders) server.close();
  await Promise.all(fixtures.map((handle) => handle.close()));
  process.exit(0);
});
