// Rule (modules/tls over moddable-platform.md, TLS): with no CA the board's verification always fails
// ("TLS: certificate: auth err"), so the project's TLS client refuses to start without one: connect() throws a TLSError with code
// TLS_BAD_ARGUMENT, at once, and opens no socket.
import { connect, TLSError } from "tls/client";
import config from "mc/config";

const CASE = "tls-module-no-ca";
try {
  const connection = connect(String(config.host), Number(config.port), {});
  connection.close();
  trace(`not ok ${CASE} connect() without a CA did not throw\n`);
} catch (error) {
  const code = error instanceof TLSError ? error.code : String(error);
  trace(code === "TLS_BAD_ARGUMENT" ? `ok ${CASE}\n` : `not ok ${CASE} threw ${code}, expected TLS_BAD_ARGUMENT\n`);
}
trace("done\n");
