// Rule (README, "What the simulator reproduces", TCP): a name in `host` is not resolved: the constructor throws "invalid address".
import TCP from "embedded:io/socket/tcp";
import config from "mc/config";
import report, { messageOf } from "conformance/report";

let tcp: TCP | undefined;
const { end } = report("tcp-host-throws", { watchdog: 5000, close: () => tcp?.close() });

// `any`: the SDK's typings accept `host`, ours do not (the implementations do not either).
const options: any = {
  host: String(config.host),
  port: Number(config.port),
  onWritable() { end(false, `connected to ${String(config.host)} by name`); },
  onError() { end(false, "onError instead of a throw"); },
};
try {
  tcp = new TCP(options);
} catch (error) {
  const message = messageOf(error);
  end(message === "invalid address", `threw "${message}", not "invalid address"`);
}
