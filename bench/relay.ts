// The throughput baseline for the TIPI read path: a plain bridged socket. The device opens the same TLS
// connection (modules/tls, same rings) and copies every byte it reads straight to its link, with no protocol;
// bench/run.js times both in the same run. Config: relay.source (TLS port on localhost), relay.size (bytes).
import Listener from "embedded:io/socket/listener";
import TCP from "embedded:io/socket/tcp";
import Resource from "Resource";
import config from "mc/config";
import { connect } from "tls/client";

const { source } = config.relay as { source: number };
const chunk = new Uint8Array(2048);
let linkWritable = 0;
let pending = 0; // bytes in `chunk` not yet written to the link
let offset = 0;

// The SDK's listeners (lwip, lin) have close(), which its typing does not list: the type here adds it.
const listener = new Listener({
  port: 0,
  onReadable() {
    const from = listener.read();
    if (!from) return;
    listener.close();
    const conn = connect("localhost", source, { ca: new Resource("ca.der").slice(0), rxSize: 2048, txSize: 1024 });
    const pump = () => {
      for (;;) {
        if (pending === 0) {
          try {
            pending = conn.read(chunk);
          } catch {
            link.close(); // the source closed and everything was read
            return;
          }
          offset = 0;
          if (pending === 0) {
            conn.wait(10000).then(pump);
            return;
          }
        }
        const n = Math.min(pending, linkWritable);
        if (n === 0) return; // onWritable calls pump again
        link.write(chunk.subarray(offset, offset + n));
        linkWritable -= n;
        offset += n;
        pending -= n;
      }
    };
    const link = new TCP({
      from,
      onWritable(count) {
        linkWritable = count;
        pump();
      },
      onError() { conn.close(); },
    });
  },
}) as Listener & { close(): void };
