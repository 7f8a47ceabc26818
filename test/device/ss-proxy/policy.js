// Node side of the serialized Secure Streams tests: the Secure Streams test policy (test/device/ss/servers.js) with
// peers.md's stream type name `echo_raw` added, so golden frames carry the same name as lws' recorded ones.
import { testPolicy } from "../ss/servers.js";

export function proxyPolicy(ports) {
  const p = JSON.parse(testPolicy(ports));
  const echo = p.s.find((t) => t.echo).echo;
  p.s.push({ echo_raw: { ...echo } });
  return JSON.stringify(p);
}
