// Rule (README, "What the simulator reproduces", TLS): TLSSocket builds its own TCP from `options.TCP.io`, which is required: without
// it the constructor throws.
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";
import report from "conformance/report";

let socket: TLSSocket | undefined;
const { end } = report("tls-requires-tcp-io", { watchdog: 5000, close: () => socket?.close() });

// `any`: the typings require `TCP`, which is what this case leaves out.
const options: any = {
  address: "127.0.0.1",
  port: Number(config.port),
  host: String(config.host),
  secure: { certificate: new Resource(String(config.ca)).slice(0) },
  onWritable() { end(false, "connected without TCP.io"); },
  onError() { end(false, "onError instead of a throw"); },
};
try {
  socket = new TLSSocket(options);
  end(false, "the constructor did not throw");
} catch {
  end(true);
}
