// Rule (modules/tls over the board's TLS): a good server (leaf + CA, TLS 1.2, P-256) through the project's TLS
// client: connect, write, read the echo back, close; no error, no abort.
import { connect } from "tls/client";
import Resource from "Resource";
import config from "mc/config";
import report from "conformance/report";

const connection = connect(String(config.host), Number(config.port), {
  ca: new Resource(String(config.ca)).slice(0),
  connectTimeout: 5000,
});
const { end } = report("tls-module-ok", { close: () => connection.close() });

async function run(): Promise<string> {
  while (!connection.isOpen()) {
    if (connection.error) return `${connection.error.code}: ${connection.error.message}`;
    if (await connection.wait(5000) === "timeout") return "timeout: not open";
  }
  const sent = new Uint8Array(ArrayBuffer.fromString("hello through tls/client"));
  if (connection.write(sent) !== sent.length) return "the tx ring did not take the message";
  const echo = new Uint8Array(sent.length);
  let have = 0;
  while (have < sent.length) {
    if (await connection.wait(5000, "readable") === "timeout") return `timeout after ${have} bytes of the echo`;
    have += connection.read(echo, have);
  }
  for (let i = 0; i < sent.length; i++) if (echo[i] !== sent[i]) return `echo differs at byte ${i}`;
  return "";
}
run().then((failure) => end(!failure, failure), (error) => end(false, String(error)));
