import { connect, TLSError } from "tls/client";
import config from "mc/config";

import Resource from "Resource";
const ca = new Resource(config.ca as string);
const c = connect(config.host as string, config.port as number, { ca, serverName: config.serverName as string | undefined });
const message = new Uint8Array(ArrayBuffer.fromString("hello over tls"));
const got = new Uint8Array(64);
let have = 0;
async function run() {
  try {
    while (!c.isOpen()) {
      const r = await c.wait(5000);
      if (c.state === "failed") throw c.error;
      if (r === "timeout") throw new Error("timeout");
    }
    c.write(message);
    while (have < message.length) {
      await c.wait(5000);
      have += c.read(got, have);
    }
    trace(`ok tls-echo ${String.fromArrayBuffer(got.slice(0, have).buffer)}\n`);
  } catch (e) {
    trace(`not ok tls-echo ${e instanceof TLSError ? e.code + " " + e.message : String(e)}\n`);
  }
  c.close();
}
run();
