// Rule (modules/tls over moddable-platform.md, TLS): through the project's TLS client (which guards the SDK's
// TLSSocket), this refusal fails the connection with a TLSError of code TLS_HANDSHAKE whose message keeps the
// board's ("TLS: alert: 2, 40"), and the VM does not abort.
// Here: the server's only suite is ECDHE-ECDSA-AES256-GCM-SHA384, which the board does not offer.
import { connect, TLSError } from "tls/client";
import Resource from "Resource";
import config from "mc/config";

const CASE = "tls-module-aes256-only";
const connection = connect(String(config.host), Number(config.port), {
  ca: new Resource(String(config.ca)).slice(0),
  connectTimeout: 5000,
});

async function run() {
  while (connection.state === "resolving" || connection.state === "connecting") await connection.wait(1000);
  const error = connection.error;
  if (!(error instanceof TLSError)) return `state ${connection.state}, no error`;
  if (error.code !== "TLS_HANDSHAKE") return `${error.code}, expected TLS_HANDSHAKE: ${error.message}`;
  if (error.message.indexOf("TLS: alert: 2, 40") < 0) return `the message lost the board's: ${error.message}`;
  return "";
}
run().then((failure) => {
  connection.close();
  trace(failure ? `not ok ${CASE} ${failure}\n` : `ok ${CASE}\n`);
  trace("done\n");
});
