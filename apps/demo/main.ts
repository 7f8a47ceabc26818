// The default device app (`npm start`) until the field-device app lands: from inside XS it shows timers firing,
// a TCP round trip and a TLS round trip (certificate verified against the CA resource, name looked up through the
// DNS resolver), each to a server the simulator started on 127.0.0.1 (ports in mc/config).
import Timer from "timer";
import TCP from "embedded:io/socket/tcp";
import Resource from "Resource";
import config from "mc/config";
import { connect, TLSError } from "tls/client";

const demo = config.demo as { tcpPort: number; tlsHost: string; tlsPort: number; ca: string };

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

function tcpRoundTrip(): Promise<string> {
  return new Promise((resolve, reject) => {
    const message = ArrayBuffer.fromString("ping over tcp");
    const reply = new Uint8Array(message.byteLength);
    let have = 0;
    let sent = false;
    const timeout = Timer.set(() => { socket.close(); reject(new Error("tcp: no echo within 5 s")); }, 5000);
    const socket = new TCP({
      address: "127.0.0.1",
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

async function tlsRoundTrip(): Promise<string> {
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

async function main() {
  try {
    await timers();
    trace(`demo: tcp round trip: "${await tcpRoundTrip()}"\n`);
    trace(`demo: tls round trip: "${await tlsRoundTrip()}" (certificate verified for ${demo.tlsHost})\n`);
    trace("demo: done\n");
  } catch (error) {
    trace(`demo: FAILED ${error instanceof TLSError ? `${error.code} ${error.message}` : String(error)}\n`);
  }
}

main();
