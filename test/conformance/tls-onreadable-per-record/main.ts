// Rule (README, "What the simulator reproduces", TLS): onReadable comes once per decrypted TLS record, with that
// record's length; the next record comes (on a timer) once this one has been read. read(n) past what the record
// holds throws "invalid".
// Here: the client sends "go"; the server writes 20000 bytes at once, which TLS carries as two records (16384, the
// largest a record holds, and 3616): two onReadable, never one of 20000.
import TCP from "embedded:io/socket/tcp";
import TLSSocket from "embedded:io/socket/tcp/tls";
import Resource from "Resource";
import config from "mc/config";
import report from "conformance/report";
import { thrown } from "conformance/report";

let socket: TLSSocket | undefined;
const { check, done } = report("tls-onreadable-per-record", { watchdog: 5000, close: () => socket?.close() });

const expected = [16384, 3616];
const counts: number[] = [];
let asked = false;
socket = new TLSSocket({
  address: "127.0.0.1",
  port: Number(config.port),
  host: String(config.host),
  secure: { certificate: new Resource(String(config.ca)).slice(0) },
  TCP: { io: TCP },
  onWritable() {
    if (asked) return;
    asked = true;
    socket!.write(ArrayBuffer.fromString("go"));
  },
  onReadable(count: number) {
    if (counts.length === 0) {
      const past = thrown(() => socket!.read(count + 1));
      check("read-past-throws", past === "invalid", `read(${count + 1}) of ${count}: ${past}`);
    }
    counts.push(count);
    const bytes = socket!.read(count);
    if (!(bytes instanceof ArrayBuffer) || bytes.byteLength !== count) return done(`read(${count}) did not give ${count} bytes`);
    const total = counts.reduce((a, b) => a + b, 0);
    if (total >= 20000) {
      check("counts", counts.join(",") === expected.join(","), `onReadable counts ${counts.join(",")}`);
      done();
    }
  },
  onError() { done(`onError after onReadable counts ${counts.join(",")}`); },
});
