// The h1 protocol: one HTTP/1.1 transaction per connection, as lws' ss-h1.c runs a client stream
// (lib/secure-streams/protocols/ss-h1.c, v4.4.5). The request's method and URL come from the policy
// (http_method, http_url with ${metadata}; a URL endpoint's path overrides http_url), its headers from the stream
// type's metadata items whose policy value names a header ("X-Unit:"), set with setMetadata(). The codec is
// ss/http; this module maps its events onto the stream's states, rx and tx.
//
// State by state, as lws does it:
//   open              the request head goes out (Host, metadata headers, Connection: close); for POST, PUT and
//                     PATCH the body follows from the owner's tx, called again and again until it sets
//                     LWSSS_FLAG_EOM (TX_DONT_SEND, or a zero-length tx without EOM, pauses it until requestTx()).
//                     With requestTxLen(n) the body is sent with Content-Length: n and must be exactly n bytes;
//                     without, it is sent chunked (lws sends no body without a length: chunked is our addition)
//   response head     503 or 429: the attempt failed quietly, retried after the backoff or the server's
//                     Retry-After, whichever is longer (no CONNECTED). Otherwise CONNECTED (CONNECTING first
//                     when the last state was DISCONNECTED), and the status is kept: good when it equals the
//                     policy's http_expect, or is 2xx when there is none
//   body              rx chunks, LWSSS_FLAG_SOM on the first; Content-Length, chunked, or to the end of the
//                     connection; response headers named by metadata items are stored into them (getMetadata)
//   complete          a zero-length rx with LWSSS_FLAG_EOM (only if a body came), the owner's timeout is
//                     cancelled, then QOS_ACK_REMOTE (good) or QOS_NACK_REMOTE, then the connection is closed:
//                     DISCONNECTED, and no retry (the transaction is done)
//   malformed         the response is refused with its reason logged; the stream treats it as a lost connection
//                     (UNREACHABLE before CONNECTED, DISCONNECTED after) and backs off
// Redirects are not followed: a 3xx is a response like any other (QOS_NACK_REMOTE unless http_expect says so).
import {
  LWSSSCS_CONNECTED, LWSSSCS_CONNECTING, LWSSSCS_DISCONNECTED, LWSSSCS_QOS_ACK_REMOTE, LWSSSCS_QOS_NACK_REMOTE,
  LWSSSSRET_TX_DONT_SEND, LWSSS_FLAG_SOM, LWSSS_FLAG_EOM,
} from "ss/constants";
import {
  ResponseParser, HeadWriter, hexBefore, HTTP_NEED_MORE, HTTP_HEADER, HTTP_HEAD, HTTP_BODY, HTTP_DONE, HTTP_ERROR,
} from "ss/http";
import { TX_HEADROOM, type Link, type Protocol, type ProtocolFactory, type Target, type TxOut } from "ss/protocol";

/** The longest response line (status, header, chunk size) accepted. */
const LINE_MAX = 1024;
/** The request head: request line, Host, metadata headers, framing. */
const HEAD_MAX = 1024;
const MAX_HEADERS = 64;

const PHASE_IDLE = 0;
const PHASE_HEAD = 1;
const PHASE_BODY = 2;
const PHASE_RESPONSE = 3;
const PHASE_DONE = 4;

/** Headers the stream writes itself: a metadata item may not set them. */
const FRAMING = ["host", "content-length", "transfer-encoding", "connection"];

class H1 implements Protocol {
  readonly #link: Link;
  readonly #parser = new ResponseParser(new Uint8Array(LINE_MAX), MAX_HEADERS);
  readonly #head = new HeadWriter(new Uint8Array(HEAD_MAX));
  readonly #out: TxOut = { len: 0, flags: 0 };
  readonly #method: string;
  readonly #hasBody: boolean;
  // Metadata items that name a header: their index, the name as written, and in lower case for matching.
  readonly #headerIndex: number[] = [];
  readonly #headerName: string[] = [];
  readonly #headerLower: string[] = [];
  #target: Target | undefined;
  #phase = PHASE_IDLE;
  #declared = -1;
  #sent = 0;
  #paused = false;
  #good = false;
  #hanging = false;
  #acked = false;

  constructor(link: Link) {
    this.#link = link;
    const http = link.type.http;
    this.#method = http ? http.method : "GET";
    this.#hasBody = this.#method === "POST" || this.#method === "PUT" || this.#method === "PATCH";
    const metadata = link.type.metadata;
    for (let i = 0; i < metadata.length; i++) {
      let name = metadata[i]!.value.trim();
      if (name.length === 0) continue; // a value only for ${substitution}
      if (name.endsWith(":")) name = name.slice(0, -1).trim();
      const lower = name.toLowerCase();
      let token = name.length > 0;
      for (let k = 0; token && k < name.length; k++) {
        const c = name.charCodeAt(k);
        token = c > 0x20 && c < 0x7f && c !== 0x3a && c !== 0x28 && c !== 0x29 && c !== 0x2c && c !== 0x2f &&
          !(c >= 0x3b && c <= 0x40) && !(c >= 0x5b && c <= 0x5d) && c !== 0x7b && c !== 0x7d && c !== 0x22;
      }
      if (!token) {
        link.log(`metadata "${metadata[i]!.name}" names no valid header ("${metadata[i]!.value}"): not sent`);
        continue;
      }
      if (FRAMING.indexOf(lower) >= 0) {
        link.log(`metadata "${metadata[i]!.name}" names ${name}, which the stream writes itself: not sent`);
        continue;
      }
      this.#headerIndex.push(i);
      this.#headerName.push(name);
      this.#headerLower.push(lower);
    }
  }

  start(target: Target): void {
    this.#target = target;
    this.#phase = PHASE_IDLE;
    const length = this.#link.writeableLen;
    const noLength = this.#link.type.http?.noContentLength ?? false;
    this.#declared = this.#hasBody && length > 0 && !noLength ? length : -1;
    this.#sent = 0;
    this.#paused = false;
    this.#good = false;
    this.#hanging = false;
    this.#acked = false;
    this.#parser.reset(this.#method === "HEAD");
  }

  open(): void {
    const link = this.#link;
    link.takeTxRequest(); // the request is the answer to it
    if (!this.#writeHead()) {
      link.fail(`the request head is larger than ${HEAD_MAX} bytes`);
      return;
    }
    this.#phase = PHASE_HEAD;
    link.send(this.#head.buffer, 0, this.#head.length);
  }

  wantsWritable(): boolean {
    if (this.#phase === PHASE_HEAD) return true; // the head is out: go on to the body, or the response
    return this.#phase === PHASE_BODY && (!this.#paused || this.#link.txRequested);
  }

  writable(): void {
    const link = this.#link;
    if (this.#phase === PHASE_HEAD) {
      this.#phase = this.#hasBody ? PHASE_BODY : PHASE_RESPONSE;
      if (!this.#hasBody) return;
    }
    if (this.#phase !== PHASE_BODY) return;
    if (this.#paused) {
      link.takeTxRequest();
      this.#paused = false;
    }
    const out = this.#out;
    const r = link.tx(out);
    if (r < 0) return;
    if (r === LWSSSSRET_TX_DONT_SEND) {
      this.#paused = true;
      return;
    }
    const len = out.len;
    const eom = (out.flags & LWSSS_FLAG_EOM) !== 0;
    const declared = this.#declared;
    if (declared >= 0 && (this.#sent + len > declared || (eom && this.#sent + len !== declared))) {
      link.fail(`the body from tx is ${this.#sent + len}${eom ? "" : "+"} bytes, not the ${declared} given to requestTxLen()`);
      return;
    }
    this.#sent += len;
    if (len === 0 && !eom) {
      this.#paused = true; // as lws: no spinning on zero-length writes; requestTx() resumes
      return;
    }
    const frame = link.txFrame;
    let start = TX_HEADROOM, end = TX_HEADROOM + len;
    if (declared < 0) {
      // chunked: "<hex size>\r\n" before the payload, "\r\n" after it, and the last chunk "0\r\n\r\n" at EOM
      if (len > 0) {
        frame[--start] = 0x0a;
        frame[--start] = 0x0d;
        start = hexBefore(frame, start, len);
        frame[end++] = 0x0d;
        frame[end++] = 0x0a;
      }
      if (eom) {
        frame[end++] = 0x30;
        frame[end++] = 0x0d;
        frame[end++] = 0x0a;
        frame[end++] = 0x0d;
        frame[end++] = 0x0a;
      }
    }
    if (eom) this.#phase = PHASE_RESPONSE;
    link.send(frame, start, end);
  }

  received(buf: Uint8Array, len: number): void {
    if (this.#phase === PHASE_IDLE || this.#phase === PHASE_DONE) return;
    const parser = this.#parser;
    let pos = 0;
    for (;;) {
      const event = parser.parse(buf, pos, len);
      pos = parser.pos;
      switch (event) {
        case HTTP_NEED_MORE:
          return;
        case HTTP_HEADER:
          this.#header();
          break;
        case HTTP_HEAD:
          if (!this.#response()) return;
          break;
        case HTTP_BODY:
          if (!this.#body(buf)) return;
          break;
        case HTTP_DONE:
          this.#complete(buf);
          return;
        case HTTP_ERROR:
          this.#link.fail(`malformed response: ${parser.error}`);
          return;
      }
    }
  }

  closed(): string | null {
    if (this.#phase === PHASE_DONE) return null;
    if (this.#phase === PHASE_RESPONSE || this.#phase === PHASE_BODY || this.#phase === PHASE_HEAD) {
      if (this.#parser.endOfInput() === HTTP_DONE) {
        this.#complete(this.#link.rxBuf);
        return null;
      }
      return `malformed response: ${this.#parser.error}`;
    }
    return "the server closed the connection before the request was sent";
  }

  #writeHead(): boolean {
    const head = this.#head;
    const target = this.#target!;
    head.reset();
    head.put(this.#method);
    head.put(" ");
    head.put(target.path);
    head.put(" HTTP/1.1\r\nHost: ");
    head.put(target.host);
    if (target.port !== (target.tls ? 443 : 80)) {
      head.put(":");
      head.putNumber(target.port);
    }
    head.put("\r\n");
    const link = this.#link;
    for (let i = 0; i < this.#headerIndex.length; i++) {
      const value = link.metadata(this.#headerIndex[i]!);
      if (value === undefined) continue;
      head.put(this.#headerName[i]!);
      head.put(": ");
      head.put(value);
      head.put("\r\n");
    }
    if (this.#hasBody) {
      if (this.#declared >= 0) {
        head.put("Content-Length: ");
        head.putNumber(this.#declared);
        head.put("\r\n");
      } else head.put("Transfer-Encoding: chunked\r\n");
    }
    head.put("Connection: close\r\n\r\n");
    return !head.overflow;
  }

  #header(): void {
    const parser = this.#parser;
    for (let i = 0; i < this.#headerLower.length; i++) {
      if (parser.headerNameIs(this.#headerLower[i]!)) {
        this.#link.peerMetadata(this.#headerIndex[i]!, parser.headerValue());
        return;
      }
    }
  }

  #response(): boolean {
    const link = this.#link;
    const parser = this.#parser;
    const status = parser.status;
    if (status === 503 || status === 429) {
      link.fail(`the server answered ${status}: retrying`, parser.retryAfter > 0 ? parser.retryAfter * 1000 : 0);
      return false;
    }
    const expect = link.type.http?.expect ?? 0;
    this.#good = expect ? status === expect : status >= 200 && status < 300;
    link.connected();
    const last = link.lastState;
    if (last !== LWSSSCS_CONNECTED) {
      if (last === LWSSSCS_DISCONNECTED && !link.state(LWSSSCS_CONNECTING)) return false;
      if (last !== LWSSSCS_QOS_ACK_REMOTE && last !== LWSSSCS_QOS_NACK_REMOTE && !link.state(LWSSSCS_CONNECTED)) {
        return false;
      }
    }
    return true;
  }

  #body(buf: Uint8Array): boolean {
    const parser = this.#parser;
    const n = parser.bodyLength;
    if (n === 0) return true;
    // The owner gets buf[0, n): move the bytes down (parsing resumes past them, so nothing unread is overwritten).
    if (parser.bodyStart !== 0) buf.copyWithin(0, parser.bodyStart, parser.bodyStart + n);
    const flags = this.#hanging ? 0 : LWSSS_FLAG_SOM;
    this.#hanging = true;
    return this.#link.rx(buf, n, flags);
  }

  #complete(buf: Uint8Array): void {
    const link = this.#link;
    this.#phase = PHASE_DONE;
    if (this.#hanging) {
      this.#hanging = false;
      if (!link.rx(buf, 0, LWSSS_FLAG_EOM)) return;
    }
    link.cancelTimeout();
    link.transactionDone();
    if (!link.dangling && !link.state(LWSSSCS_CONNECTED)) return;
    if (!this.#acked) {
      this.#acked = true;
      if (!link.state(this.#good ? LWSSSCS_QOS_ACK_REMOTE : LWSSSCS_QOS_NACK_REMOTE)) return;
    }
    link.close();
  }
}

export const h1: ProtocolFactory = (link: Link) => new H1(link);
