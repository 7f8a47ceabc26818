// The demo (module `demo`): from inside XS it shows timers firing, a TCP round trip and a TLS round trip
// (certificate verified against the CA resource, name looked up through the DNS resolver), each to an echo server
// named in the manifest's `config.demo` (`npm start` starts both on 127.0.0.1 and fills in their ports). A
// `tcpPort` of 0 skips the TCP round trip, an empty `tlsHost` the TLS one (a board has no echo servers of its own).
// apps/demo runs it alone; the device app (apps/device) runs it once the network and the clock are up.
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import Resource from "Resource";
import { connect, TLSError } from "tls/client";

export type DemoConfig = {
  /** TCP echo server: address (dotted IPv4, default 127.0.0.1) and port (0: skip). */
  tcpAddress?: string;
  tcpPort: number;
  /** TLS echo server: name (certificate name too; "": skip) and port. */
  tlsHost: string;
  tlsPort: number;
  /** Resource holding the CA that signed the TLS server's certificate (DER). */
  ca: string;
};

function timers(): Promise<void> {
  return new Promise((resolve) => {
    let ticks = 0;
    Timer.repeat((id) => {
      trace(`demo: timer tick ${++ticks}\n`);
      if (ticks === 3) {
        Timer.clear(id);
        resolve();
      }
    }, 50);
  });
}

function tcpRoundTrip(demo: DemoConfig): Promise<string> {
  return new Promise((resolve, reject) => {
    const message = ArrayBuffer.fromString("ping over tcp");
    const reply = new Uint8Array(message.byteLength);
    let have = 0;
    let sent = false;
    const timeout = Timer.set(() => { socket.close(); reject(new Error("tcp: no echo within 5 s")); }, 5000);
    const socket = new TCP({
      address: demo.tcpAddress ?? "127.0.0.1",
      port: demo.tcpPort,
      onWritable(count) {
        if (!sent && count >= message.byteLength) {
          sent = true;
          socket.write(message);
        }
      },
      onReadable(count) {
        const n = Math.min(count, reply.length - have);
        // read(view) fills the whole view (the SDK types it as returning nothing): n bytes arrived
        socket.read(reply.subarray(have, have + n));
        have += n;
        if (have === reply.length) {
          Timer.clear(timeout);
          socket.close();
          resolve(String.fromArrayBuffer(reply.buffer));
        }
      },
      onError() {
        Timer.clear(timeout);
        reject(new Error("tcp: connection failed"));
      },
    });
  });
}

async function tlsRoundTrip(demo: DemoConfig): Promise<string> {
  const connection = connect(demo.tlsHost, demo.tlsPort, { ca: new Resource(demo.ca).slice(0), connectTimeout: 5000, tag: "demo" });
  try {
    while (!connection.isOpen()) {
      if ((await connection.wait(5000)) === "timeout" || connection.error) throw connection.error ?? new Error("tls: timeout");
    }
    const message = new Uint8Array(ArrayBuffer.fromString("ping over tls"));
    let sent = 0;
    const reply = new Uint8Array(message.length);
    let have = 0;
    while (have < reply.length) {
      if (sent < message.length) sent += connection.write(message, sent);
      have += connection.read(reply, have);
      if (have < reply.length && (await connection.wait(5000)) === "timeout") throw new Error("tls: no echo within 5 s");
    }
    return String.fromArrayBuffer(reply.buffer);
  } finally {
    connection.close();
  }
}

/** Run the demo; never throws (a failure is traced as `demo: FAILED ...`). True when every step passed. */
export async function runDemo(demo: DemoConfig): Promise<boolean> {
  try {
    await timers();
    if (demo.tcpPort) trace(`demo: tcp round trip: "${await tcpRoundTrip(demo)}"\n`);
    else trace("demo: tcp round trip skipped (config.demo.tcpPort is 0)\n");
    if (demo.tlsHost) trace(`demo: tls round trip: "${await tlsRoundTrip(demo)}" (certificate verified for ${demo.tlsHost})\n`);
    else trace("demo: tls round trip skipped (config.demo.tlsHost is empty)\n");
    trace("demo: done\n");
    return true;
  } catch (error) {
    trace(`demo: FAILED ${error instanceof TLSError ? `${error.code} ${error.message}` : String(error)}\n`);
    return false;
  }
}
