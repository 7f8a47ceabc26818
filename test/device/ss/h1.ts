// Device-side cases for h1 Secure Streams over tls/client, against the HTTPS server and the malformed-HTTP server of
// test/device/ss/servers.js (test/ss-h1.test.js starts them and gives the policy in mc/config). Reports
// "ok <name>" / "not ok <name> <why>" per case, then "done".
import config from "mc/config";
import {
  createContext, LWSSSSRET_OK, LWSSSSRET_DESTROY_ME, LWSSSSRET_TX_DONT_SEND, LWSSSCS_CREATING, LWSSSCS_CONNECTED,
  LWSSSCS_DISCONNECTED, LWSSSCS_QOS_ACK_REMOTE, LWSSS_FLAG_SOM, LWSSS_FLAG_EOM, type StreamInfo,
} from "ss";
import { Recorder, Pattern, runAsync, check, equal, sleep, testPolicy } from "./support";

const BODY = config.body as { status: number; chunked: number; url: number };
const POST_SIZE = config.postSize as number;

const log: string[] = [];
const context = createContext({
  policy: testPolicy(),
  log: (line) => {
    log.push(line);
    trace(`${line}\n`);
  },
});

function logged(h: { tag: string }, text: string): boolean {
  return log.some((l) => l.startsWith(`ss: ${h.tag}: `) && l.includes(text));
}

/** A stream that records everything and is destroyed at DISCONNECTED (or after `quietMs` with nothing new). */
function recorded(type: string, r: Recorder, setup: (h: any) => number, extra: Partial<StreamInfo<Recorder>> = {}) {
  return context.create<Recorder>({
    streamtype: type,
    state(h, _src, state) {
      h.opaque.state(state);
      if (state === LWSSSCS_CREATING) return setup(h);
      if (state === LWSSSCS_DISCONNECTED) return LWSSSSRET_DESTROY_ME;
      return LWSSSSRET_OK;
    },
    rx(h, buf, len, flags) {
      h.opaque.received(buf, len, flags);
      return LWSSSSRET_OK;
    },
    ...extra,
  }, r);
}

const GET_SEQUENCE = "CREATING CONNECTING CONNECTED QOS_ACK_REMOTE DISCONNECTED DESTROYING";

async function main(): Promise<void> {
  await runAsync("h1-get-content-length", async () => {
    const r = new Recorder(new Pattern());
    const h = recorded("get", r, (h) => {
      h.setMetadata("unit", "7");
      h.setMetadata("xunit", "seven");
      return h.clientConnect();
    });
    await r.until("DESTROYING");
    trace(`states get: ${r.sequence()}\nrx get: ${r.rxSummary()}\n`);
    equal(r.sequence(), GET_SEQUENCE, "states");
    equal(r.rxBytes, BODY.status, "body bytes");
    equal(r.badByte, -1, "first wrong byte");
    check(r.rx[0]!.endsWith("/SOM"), `first rx has SOM only: ${r.rxSummary()}`);
    check(r.rx.slice(1, -1).every((x) => x.endsWith("/-")), `middle rx have no flags: ${r.rxSummary()}`);
    equal(r.rx[r.rx.length - 1], "0/EOM", "the last rx: zero length with EOM, as lws");
    equal(h.getMetadata("ctype"), "application/x-field", "a response header named by metadata is stored into it");
    check(logged(h, `metadata "host" names Host, which the stream writes itself`), "the Host metadata is not noted");
  });

  await runAsync("h1-get-chunked", async () => {
    const r = new Recorder(new Pattern());
    recorded("get", r, (h) => {
      h.setMetadata("unit", "chunked");
      return h.clientConnect();
    });
    await r.until("DESTROYING");
    trace(`rx chunked: ${r.rxSummary()}\n`);
    equal(r.sequence(), GET_SEQUENCE, "states");
    equal(r.rxBytes, BODY.chunked, "body bytes");
    equal(r.badByte, -1, "first wrong byte");
    check(r.rx.length > 3, `the body came in several rx: ${r.rxSummary()}`);
    check(r.rx[0]!.endsWith("/SOM"), `first rx SOM: ${r.rxSummary()}`);
    equal(r.rx[r.rx.length - 1], "0/EOM", "the last rx");
  });

  await runAsync("h1-get-then-request-tx-gets-again", async () => {
    // peers.md: a tx on a GET stream after its DISCONNECTED makes lws POLL, reconnect and GET again.
    const r = new Recorder();
    let acks = 0;
    recorded("get", r, (h) => {
      h.setMetadata("unit", "7");
      h.setMetadata("xunit", "seven");
      return h.clientConnect();
    }, {
      state(h, _src, state) {
        h.opaque.state(state);
        if (state === LWSSSCS_CREATING) {
          h.setMetadata("unit", "7");
          h.setMetadata("xunit", "seven");
          return h.clientConnect();
        }
        if (state === LWSSSCS_QOS_ACK_REMOTE) acks++;
        if (state === LWSSSCS_DISCONNECTED) return acks === 1 ? h.requestTx() : LWSSSSRET_DESTROY_ME;
        return LWSSSSRET_OK;
      },
    });
    await r.until("DESTROYING");
    equal(r.sequence(), "CREATING CONNECTING CONNECTED QOS_ACK_REMOTE DISCONNECTED POLL CONNECTING CONNECTED " +
      "QOS_ACK_REMOTE DISCONNECTED DESTROYING", "states");
  });

  await runAsync("h1-head-has-no-body", async () => {
    const r = new Recorder();
    recorded("head", r, (h) => {
      h.setMetadata("xunit", "seven");
      return h.clientConnect();
    });
    await r.until("DESTROYING");
    equal(r.sequence(), GET_SEQUENCE, "states");
    equal(r.rx.length, 0, "no rx (no body, so no SOM and no EOM)");
  });

  await runAsync("h1-204-no-content", async () => {
    const r = new Recorder();
    recorded("get", r, (h) => {
      h.setMetadata("unit", "empty");
      return h.clientConnect();
    });
    await r.until("DESTROYING");
    equal(r.sequence(), GET_SEQUENCE, "states");
    equal(r.rx.length, 0, "no rx");
  });

  await runAsync("h1-url-endpoint-overrides-port-and-path", async () => {
    const r = new Recorder(new Pattern());
    recorded("url", r, (h) => h.clientConnect());
    await r.until("DESTROYING");
    equal(r.sequence(), GET_SEQUENCE, "states");
    equal(r.rxBytes, BODY.url, "body bytes");
    equal(r.badByte, -1, "first wrong byte");
  });

  await runAsync("h1-404-is-nack-remote", async () => {
    const r = new Recorder();
    recorded("get", r, (h) => {
      h.setMetadata("unit", "nothing-here");
      return h.clientConnect();
    });
    await r.until("DESTROYING");
    equal(r.sequence(), "CREATING CONNECTING CONNECTED QOS_NACK_REMOTE DISCONNECTED DESTROYING", "states");
    equal(r.rx[0], "9/SOM", "the 404 body still reaches rx");
  });

  /** POST the pattern: with requestTxLen (Content-Length) or requestTx (chunked), `mode` picks the server's answer. */
  async function post(mode: string, withLength: boolean): Promise<{ r: Recorder; calls: number; eomAt: number }> {
    const r = new Recorder();
    const source = new Pattern();
    let sent = 0, calls = 0, eomAt = -1;
    // As lws' minimal-examples/client/http-post does it: requestTxLen() at CREATING, requestTx() from inside tx
    // while there is more and again at CONNECTED, TX_DONT_SEND once everything went: one POST, no second one.
    recorded("post", r, (h) => {
      h.setMetadata("mode", mode);
      h.setMetadata("ctype", "application/octet-stream");
      return withLength ? h.requestTxLen(POST_SIZE) : h.requestTx();
    }, {
      state(h, _src, state) {
        h.opaque.state(state);
        if (state === LWSSSCS_CREATING) {
          h.setMetadata("mode", mode);
          h.setMetadata("ctype", "application/octet-stream");
          return withLength ? h.requestTxLen(POST_SIZE) : h.requestTx();
        }
        if (state === LWSSSCS_CONNECTED) return h.requestTx();
        if (state === LWSSSCS_DISCONNECTED) return LWSSSSRET_DESTROY_ME;
        return LWSSSSRET_OK;
      },
      tx(h, ord, buf, out) {
        if (sent === POST_SIZE) return LWSSSSRET_TX_DONT_SEND;
        calls++;
        const n = Math.min(out.len, POST_SIZE - sent);
        source.fill(buf, n);
        sent += n;
        out.len = n;
        if (ord === 0) out.flags = LWSSS_FLAG_SOM;
        if (sent === POST_SIZE) {
          out.flags |= LWSSS_FLAG_EOM;
          eomAt = ord;
          return LWSSSSRET_OK;
        }
        return h.requestTx();
      },
    });
    await r.until("DESTROYING");
    return { r, calls, eomAt };
  }

  const POST_SEQUENCE = "CREATING POLL CONNECTING CONNECTED QOS_ACK_REMOTE DISCONNECTED DESTROYING";

  await runAsync("h1-post-content-length-body-checked-by-hash", async () => {
    const { r, calls, eomAt } = await post("ok", true);
    trace(`states post: ${r.sequence()}\n`);
    equal(r.sequence(), POST_SEQUENCE, "states (the server answers 200 only for the right SHA-256)");
    equal(calls, Math.ceil(POST_SIZE / 1540), "tx calls of LWS_SS_MTU");
    equal(eomAt, calls - 1, "EOM on the last tx");
  });

  await runAsync("h1-post-chunked-body-checked-by-hash", async () => {
    const { r } = await post("ok", false);
    equal(r.sequence(), POST_SEQUENCE, "states");
  });

  await runAsync("h1-post-500-is-nack-remote", async () => {
    const { r } = await post("fail", true);
    equal(r.sequence(), "CREATING POLL CONNECTING CONNECTED QOS_NACK_REMOTE DISCONNECTED DESTROYING", "states");
  });

  await runAsync("h1-post-tx-past-content-length-fails-cleanly", async () => {
    const r = new Recorder();
    const h = recorded("post", r, (h) => {
      h.setMetadata("mode", "ok");
      return h.requestTxLen(10);
    }, {
      state(h, _src, state) {
        h.opaque.state(state);
        if (state === LWSSSCS_CREATING) {
          h.setMetadata("mode", "ok");
          return h.requestTxLen(10);
        }
        if (state === 3 /* UNREACHABLE */) return LWSSSSRET_DESTROY_ME;
        return LWSSSSRET_OK;
      },
      tx(_h, _ord, _buf, out) {
        out.len = 11;
        out.flags = LWSSS_FLAG_EOM;
        return LWSSSSRET_OK;
      },
    });
    await r.until("DESTROYING");
    equal(r.sequence(), "CREATING POLL CONNECTING UNREACHABLE DESTROYING", "states");
    check(logged(h, "the body from tx is 11 bytes, not the 10 given to requestTxLen()"), "no log line");
  });

  await runAsync("h1-503-retried-after-backoff-then-ok", async () => {
    const r = new Recorder();
    const h = recorded("get", r, (h) => {
      h.setMetadata("unit", "busy");
      return h.clientConnect();
    });
    await r.until("DESTROYING");
    equal(r.sequence(), "CREATING CONNECTING UNREACHABLE POLL CONNECTING CONNECTED QOS_ACK_REMOTE DISCONNECTED DESTROYING",
      "states");
    check(logged(h, "the server answered 503: retrying"), "no log line for the 503");
  });

  await runAsync("h1-metadata-substitution-and-headers-reach-the-server", async () => {
    // Without X-Unit the server answers 400: the header is what makes it 200 (h1-get-content-length); here the URL
    // substitution alone is checked against a unit the server does not know.
    const r = new Recorder();
    recorded("get", r, (h) => {
      h.setMetadata("unit", "7");
      return h.clientConnect();
    });
    await r.until("DESTROYING");
    equal(r.sequence(), "CREATING CONNECTING CONNECTED QOS_NACK_REMOTE DISCONNECTED DESTROYING", "states (400)");
  });

  async function malformed(mode: string): Promise<{ r: Recorder; h: { tag: string } }> {
    const r = new Recorder();
    let h: any;
    h = context.create<Recorder>({
      streamtype: "bad",
      state(h, _src, state) {
        h.opaque.state(state);
        if (state === LWSSSCS_CREATING) {
          h.setMetadata("mode", mode);
          return h.clientConnect();
        }
        if (state === 9 /* ALL_RETRIES_FAILED */) return LWSSSSRET_DESTROY_ME;
        return LWSSSSRET_OK;
      },
      rx(h, buf, len, flags) {
        h.opaque.received(buf, len, flags);
        return LWSSSSRET_OK;
      },
    }, r);
    // a stream left DISCONNECTED (no retries) is destroyed once nothing more happens
    for (let i = 0; i < 100 && r.states.indexOf("DESTROYING") < 0; i++) await sleep(20);
    if (!h.destroyed) h.destroy();
    return { r, h };
  }

  await runAsync("h1-malformed-status-line-fails-cleanly", async () => {
    const { r, h } = await malformed("status-line");
    equal(r.sequence(), "CREATING CONNECTING UNREACHABLE ALL_RETRIES_FAILED DESTROYING", "states");
    check(logged(h, 'connection lost: malformed response: bad status line "HTTX/1.1 200 OK"'), "no log line");
  });

  await runAsync("h1-malformed-chunk-size-fails-cleanly", async () => {
    const { r, h } = await malformed("chunk");
    equal(r.sequence(), "CREATING CONNECTING CONNECTED DISCONNECTED DESTROYING", "states");
    equal(r.rxSummary(), "5/SOM", "the good chunk reached rx, and no EOM");
    check(logged(h, 'malformed response: bad chunk size line "zz"'), "no log line for the chunk");
    check(logged(h, "retries exhausted after 1 tries; it stays LWSSSCS_DISCONNECTED"), "no log line for the retries");
  });

  await runAsync("h1-truncated-body-fails-cleanly", async () => {
    const { r, h } = await malformed("truncated");
    equal(r.sequence(), "CREATING CONNECTING CONNECTED DISCONNECTED DESTROYING", "states");
    equal(r.rxSummary(), "5/SOM", "the 5 bytes that came");
    check(logged(h, "the connection closed 95 bytes short of its Content-Length"), "no log line");
  });

  await runAsync("h1-header-line-too-long-fails-cleanly", async () => {
    const { r, h } = await malformed("long-header");
    equal(r.sequence(), "CREATING CONNECTING UNREACHABLE ALL_RETRIES_FAILED DESTROYING", "states");
    check(logged(h, "malformed response: a line longer than 1024 bytes"), "no log line");
  });

  trace(`streams left ${context.streams}\n`);
  trace("done\n");
}

void main();
