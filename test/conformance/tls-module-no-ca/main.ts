// Rule (modules/tls over the board's TLS): with no CA the board's verification always fails
// ("TLS: certificate: auth err"), so the project's TLS client refuses to start without one: connect() throws a TLSError with code
// TLS_BAD_ARGUMENT, at once, and opens no socket.
import { connect, TLSError } from "tls/client";
import config from "mc/config";
import report from "conformance/report";

const { end } = report("tls-module-no-ca");
try {
  const connection = connect(String(config.host), Number(config.port), {});
  connection.close();
  end(false, "connect() without a CA did not throw");
} catch (error) {
  const code = error instanceof TLSError ? error.code : String(error);
  end(code === "TLS_BAD_ARGUMENT", `threw ${code}, expected TLS_BAD_ARGUMENT`);
}
