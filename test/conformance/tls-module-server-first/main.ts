// Rule (modules/tls over the board's TLS): the board's TLSSocket drops application data that arrives in the same TCP
// read as the server's Finished (tls-server-first-data-lost); modules/tls shows it the TCP one record at a time
// during the handshake (tls/guard), so a server that speaks first loses nothing: its 5 bytes arrive, then the close
// is TLS_CLOSED.
import { connect, TLSError } from "tls/client";
import Resource from "Resource";
import config from "mc/config";
import report from "conformance/report";

const connection = connect(String(config.host), Number(config.port), {
  ca: new Resource(String(config.ca)).slice(0),
  connectTimeout: 5000,
});
const { end } = report("tls-module-server-first", { close: () => connection.close() });

async function run(): Promise<string> {
  const into = new Uint8Array(16);
  let have = 0;
  for (;;) {
    try {
      const n = connection.read(into, have);
      have += n;
      if (n > 0) continue;
    } catch (error) {
      if (error instanceof TLSError && error.code === "TLS_CLOSED") return have === 5 ? "" : `closed after ${have} of 5 bytes`;
      return `read failed: ${String(error)}`;
    }
    if (await connection.wait(5000) === "timeout") return `timeout after ${have} of 5 bytes`;
  }
}
run().then((failure) => end(!failure, failure), (error) => end(false, String(error)));
