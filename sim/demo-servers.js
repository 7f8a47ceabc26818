// The servers `npm start` brings up for the demo app on 127.0.0.1: a TCP echo and a TLS echo whose certificate
// (test/fixtures/certs, leaf + CA chain as real servers send) the device verifies against its CA resource.
import net from "node:net";
import tls from "node:tls";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./loader.js";

function listen(server) {
  const sockets = new Set();
  server.on("connection", (s) => { sockets.add(s); s.on("close", () => sockets.delete(s)); });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({
    port: server.address().port,
    close: () => { for (const s of sockets) s.destroy(); return new Promise((r) => server.close(() => r())); },
  })));
}

export async function startDemoServers() {
  const certs = path.join(ROOT, "test/fixtures/certs");
  const echo = (socket) => { socket.on("error", () => {}); socket.pipe(socket); };
  const tcp = await listen(net.createServer(echo));
  const secure = tls.createServer({
    key: readFileSync(path.join(certs, "server.key")),
    cert: Buffer.concat([readFileSync(path.join(certs, "server.pem")), readFileSync(path.join(certs, "ca.pem"))]),
  }, echo);
  secure.on("tlsClientError", () => {});
  const tlsServer = await listen(secure);
  return {
    config: { tcpPort: tcp.port, tlsPort: tlsServer.port },
    close: () => Promise.all([tcp.close(), tlsServer.close()]),
  };
}
