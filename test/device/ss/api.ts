// Device-side cases for the Secure Streams API itself (modules/ss/ss.ts, stream.ts), inside XS with no server:
// create()'s refusals and their codes, destroy() in and out of callbacks, callbacks that throw, metadata, the
// handle after destroy, stream limits, and a refused transition, driven through a fake transport and protocol
// given to the context (the same seam the mqtt binding will use). Reports "ok <name>" / "not ok <name> <why>",
// then "done".
import Timer from "timer";
import {
  createContext, SSError, SecureStream, stateName, LWSSSSRET_OK, LWSSSSRET_DESTROY_ME, LWSSSSRET_TX_DONT_SEND,
  LWSSSCS_CREATING, LWSSSCS_CONNECTING, LWSSSCS_CONNECTED, LWSSSINFLAGS_SERVER, LWSSSCS_USER_BASE,
} from "ss";
import type { Link, Protocol, Transport, ConnectorOptions } from "ss/protocol";
import { Recorder, run, runAsync, check, equal, sleep, testPolicy } from "./support";

const policy = testPolicy();
const log: string[] = [];
const logTo = (line: string) => {
  log.push(line);
  trace(`${line}\n`);
};
const context = createContext({ policy, log: logTo });

function code(body: () => void): string {
  try {
    body();
  } catch (e) {
    return e instanceof SSError ? `${e.code}: ${e.message}` : `not an SSError: ${String(e)}`;
  }
  return "no error";
}

function recorder(r: Recorder) {
  return (h: SecureStream<Recorder>, _src: null, state: number) => {
    h.opaque.state(state);
    return LWSSSSRET_OK;
  };
}

/** A transport that opens after 1 ms, reads nothing and takes every write: enough to drive a protocol. */
class FakeTransport implements Transport {
  state: Transport["state"] = "connecting";
  error = undefined;
  writable = 4096;
  written = 0;
  #wake: (() => void) | undefined;
  constructor() {
    Timer.set(() => {
      if (this.state === "connecting") this.state = "open";
      this.#wake?.();
    }, 1);
  }
  read(): number { return 0; }
  write(_bytes: Uint8Array, _offset = 0, length = 0): number {
    this.written += length;
    return length;
  }
  wait(ms: number): Promise<string> {
    return new Promise((resolve) => {
      const timer = Timer.set(() => {
        this.#wake = undefined;
        resolve("timeout");
      }, ms);
      this.#wake = () => {
        this.#wake = undefined;
        Timer.clear(timer);
        resolve("state");
      };
    });
  }
  close(): void {
    this.state = "closed";
    this.#wake?.();
  }
}

async function main(): Promise<void> {
  run("create-refuses-an-unknown-stream-type", () => {
    equal(code(() => context.create({ streamtype: "nope" }, null)),
      'SS_UNKNOWN_STREAMTYPE: the policy has no stream type "nope"', "error");
  });

  run("create-refuses-mqtt-until-a-protocol-is-bound", () => {
    // mqtt is bound by default now (ss/mqtt); a context that unbinds it refuses the stream type
    const unbound = createContext({ policy, log: logTo, protocols: { mqtt: undefined } });
    const text = code(() => unbound.create({ streamtype: "telemetry" }, null));
    check(text.startsWith('SS_UNSUPPORTED: stream type "telemetry" is mqtt: no mqtt protocol is bound here yet'), text);
  });

  run("create-refuses-plain-tcp-without-a-connector", () => {
    const noTcp = createContext({ policy, log: logTo, tcp: null });
    const text = code(() => noTcp.create({ streamtype: "plain" }, null));
    check(text.startsWith('SS_UNSUPPORTED: stream type "plain" is "tls": false: no plain TCP connector'), text);
  });

  run("create-refuses-bad-info", () => {
    check(code(() => context.create({} as any, null)).startsWith("SS_BAD_ARGUMENT"), "no streamtype");
    check(code(() => context.create({ streamtype: "refused", rx: 3 } as any, null)).startsWith("SS_BAD_ARGUMENT: info.rx"), "rx");
    check(code(() => context.create({ streamtype: "refused", flags: LWSSSINFLAGS_SERVER }, null)).startsWith("SS_UNSUPPORTED"),
      "server flag");
    equal(context.streams, 0, "streams after refusals");
  });

  run("creating-answered-destroy-me-refuses-create", () => {
    const r = new Recorder();
    const text = code(() => context.create<Recorder>({
      streamtype: "refused",
      state(h, _src, state) {
        h.opaque.state(state);
        return state === LWSSSCS_CREATING ? LWSSSSRET_DESTROY_ME : LWSSSSRET_OK;
      },
    }, r));
    check(text.startsWith("SS_CREATE_REFUSED"), text);
    equal(r.sequence(), "CREATING DESTROYING", "states");
    equal(context.streams, 0, "streams");
  });

  run("create-then-destroy-twice", () => {
    const r = new Recorder();
    const h = context.create<Recorder>({ streamtype: "refused", state: recorder(r) }, r);
    equal(context.streams, 1, "streams alive");
    equal(h.state, LWSSSCS_CREATING, "state");
    equal(h.opaque, r, "opaque (lws_ss_to_user_object)");
    h.destroy();
    h.destroy();
    equal(r.sequence(), "CREATING DESTROYING", "states");
    equal(context.streams, 0, "streams alive");
  });

  run("destroy-inside-a-callback-waits-for-it-to-return", () => {
    const r = new Recorder();
    let inside = "";
    const h = context.create<Recorder>({
      streamtype: "refused",
      state(h, _src, state) {
        h.opaque.state(state);
        if (state === LWSSSCS_CONNECTING) {
          h.destroy();
          inside = `${h.destroyed} ${h.opaque.sequence()}`;
        }
        return LWSSSSRET_OK;
      },
    }, r);
    const result = h.clientConnect();
    equal(inside, "true CREATING CONNECTING", "inside the callback: destroyed, but no DESTROYING yet");
    equal(r.sequence(), "CREATING CONNECTING DESTROYING", "states");
    equal(result, LWSSSSRET_DESTROY_ME, "clientConnect's result");
  });

  run("a-callback-that-throws-is-logged-and-destroys-the-stream", () => {
    const r = new Recorder();
    const h = context.create<Recorder>({
      streamtype: "refused",
      state(h, _src, state) {
        h.opaque.state(state);
        if (state === LWSSSCS_CONNECTING) throw new RangeError("owner bug");
        return LWSSSSRET_OK;
      },
    }, r);
    h.clientConnect();
    equal(r.sequence(), "CREATING CONNECTING DESTROYING", "states");
    check(log.some((l) => l === `ss: ${h.tag}: the state callback threw RangeError: owner bug: destroying the stream`),
      "no log line");
  });

  run("a-destroyed-handle-answers-as-failed", () => {
    const r = new Recorder();
    const h = context.create<Recorder>({ streamtype: "get", state: recorder(r) }, r);
    h.destroy();
    equal(h.requestTx(), LWSSSSRET_TX_DONT_SEND, "requestTx");
    equal(h.requestTxLen(5), LWSSSSRET_TX_DONT_SEND, "requestTxLen");
    check(h.clientConnect() !== 0, "clientConnect returns nonzero");
    equal(h.setMetadata("unit", "7"), false, "setMetadata");
    h.startTimeout(10);
    h.cancelTimeout();
    equal(r.sequence(), "CREATING DESTROYING", "nothing after DESTROYING");
  });

  run("metadata-set-and-get", () => {
    const r = new Recorder();
    const h = context.create<Recorder>({ streamtype: "get", state: recorder(r) }, r);
    equal(h.getMetadata("unit"), "", "an item not set yet");
    equal(h.getMetadata("nope"), undefined, "an item the type does not declare");
    equal(h.setMetadata("nope", "x"), false, "set an undeclared item");
    equal(h.setMetadata("unit", "7"), true, "set");
    equal(h.getMetadata("unit"), "7", "get");
    equal(h.setMetadata("xunit", "a\r\nInjected: yes"), false, "a value with CR LF");
    equal(h.setMetadata("xunit", "x".repeat(513)), false, "a value past maxMetadataLength");
    equal(h.setMetadata("xunit", 7 as any), false, "not a string");
    equal(h.getMetadata("xunit"), "", "refused values are not kept");
    h.destroy();
  });

  run("peer-tx-credit-is-zero-for-raw-and-h1", () => {
    const h = context.create({ streamtype: "get" }, null);
    equal(h.addPeerTxCredit(1000), 0, "addPeerTxCredit");
    equal(h.getEstPeerTxCredit(), 0, "getEstPeerTxCredit");
    h.destroy();
  });

  run("state-names-as-lws", () => {
    equal(stateName(LWSSSCS_CONNECTED), "LWSSSCS_CONNECTED", "stateName");
    equal(SecureStream.stateName(LWSSSCS_USER_BASE + 1), "user state", "a user state");
    equal(stateName(99), "unknown", "past the table");
  });

  run("change-handlers-replaces-only-what-is-given", () => {
    const first = new Recorder(), second: string[] = [];
    const h = context.create<Recorder>({ streamtype: "refused", state: recorder(first) }, first);
    h.changeHandlers(null, undefined, (_h, _src, state) => {
      second.push(stateName(state));
      return LWSSSSRET_OK;
    });
    h.changeHandlers(null, null, null);
    h.destroy();
    equal(first.sequence(), "CREATING", "the first handler");
    equal(second.join(" "), "LWSSSCS_DESTROYING", "the second handler");
  });

  run("max-streams", () => {
    const small = createContext({ policy, log: logTo, maxStreams: 2 });
    const a = small.create({ streamtype: "get" }, null);
    small.create({ streamtype: "get" }, null);
    check(code(() => small.create({ streamtype: "get" }, null)).startsWith("SS_NO_SPACE"), "third stream");
    a.destroy();
    small.create({ streamtype: "get" }, null);
    equal(small.streams, 2, "streams");
    small.destroy();
    equal(small.streams, 0, "streams after the context's destroy");
  });

  await runAsync("a-refused-transition-destroys-the-stream-with-a-logged-reason", async () => {
    // A protocol that reports CREATING once its connection opens: lws' table refuses CONNECTING -> CREATING.
    const bad = (link: Link): Protocol => ({
      start() {},
      open() { link.state(LWSSSCS_CREATING); },
      received() {},
      wantsWritable: () => false,
      writable() {},
      closed: () => null,
    });
    const fake = createContext({
      policy, log: logTo, protocols: { raw: bad }, tls: (_host: string, _port: number, _o: ConnectorOptions) => new FakeTransport(),
    });
    const r = new Recorder();
    const h = fake.create<Recorder>({ streamtype: "refused", state: recorder(r) }, r);
    h.clientConnect();
    await r.until("DESTROYING", 2000);
    equal(r.sequence(), "CREATING CONNECTING DESTROYING", "states");
    check(log.some((l) => l === `ss: ${h.tag}: transition from LWSSSCS_CONNECTING -> LWSSSCS_CREATING is illegal: destroying the stream`),
      "no log line naming A -> B");
  });

  await runAsync("a-bound-protocol-serves-its-stream-type", async () => {
    // The place the mqtt binding goes: createContext({ protocols: { mqtt } }). Here a stand-in protocol that
    // reports CONNECTED and sends one tx.
    let sent = 0;
    const transport = new FakeTransport();
    const standIn = (link: Link): Protocol => ({
      start() {},
      open() {
        link.connected();
        link.state(LWSSSCS_CONNECTED);
      },
      received() {},
      wantsWritable: () => link.txRequested,
      writable() {
        link.takeTxRequest();
        const out = { len: 0, flags: 0 };
        if (link.tx(out) === LWSSSSRET_OK) {
          sent += out.len;
          link.send(link.txFrame, 8, 8 + out.len);
        }
      },
      closed: () => null,
    });
    const bound = createContext({ policy, log: logTo, protocols: { mqtt: standIn }, tls: () => transport });
    const r = new Recorder();
    const h = bound.create<Recorder>({
      streamtype: "telemetry",
      state: recorder(r),
      tx(_h, _ord, buf, out) {
        buf[0] = 1;
        out.len = 1;
        return LWSSSSRET_OK;
      },
    }, r);
    h.requestTx();
    await r.until("CONNECTED", 2000);
    await sleep(20);
    h.destroy();
    equal(r.sequence(), "CREATING POLL CONNECTING CONNECTED DISCONNECTED DESTROYING", "states");
    equal(sent, 1, "tx bytes");
    equal(transport.written, 1, "bytes written to the transport");
  });

  trace(`streams left ${context.streams}\n`);
  trace("done\n");
}

void main();
