// The tls-module-* cases that reach the board (test/conformance/README.md): through the project's TLS client
// (tls/client, which guards the SDK's TLSSocket), a refusal must fail the connection with a TLSError of the right
// code whose message keeps the board's, and the VM must not abort.
import { connect, TLSError } from "tls/client";
import type { TLSErrorCode } from "tls/errors";
import Resource from "Resource";
import config from "mc/config";
import report from "conformance/report";

/** Run the case `name`: the connection must fail with a TLSError of `code` whose message contains `message`. */
export default function moduleCase(name: string, code: TLSErrorCode, message: string) {
  const connection = connect(String(config.host), Number(config.port), {
    ca: new Resource(String(config.ca)).slice(0),
    connectTimeout: 5000,
  });
  const { end } = report(name, { close: () => connection.close() });

  async function run() {
    while (connection.state === "resolving" || connection.state === "connecting") await connection.wait(1000);
    const error = connection.error;
    if (!(error instanceof TLSError)) return `state ${connection.state}, no error`;
    if (error.code !== code) return `${error.code}, expected ${code}: ${error.message}`;
    if (error.message.indexOf(message) < 0) return `the message lost the board's: ${error.message}`;
    return "";
  }
  run().then((failure) => end(!failure, failure));
}
