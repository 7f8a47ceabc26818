// HTTP/1.1 for the h1 protocol, as plain code over byte views (no I/O): a writer for the request head into a fixed
// buffer, and a push parser for the response that never trusts a length it has not checked and tells "need more
// bytes" apart from "malformed". RFC 9112 (HTTP/1.1) names the parts:
//
//   response     = status-line *( field-line CRLF ) CRLF [ message-body ]
//   status-line  = HTTP-version SP status-code SP [ reason-phrase ]          "HTTP/1.1 200 OK"
//   field-line   = field-name ":" OWS field-value OWS                          "Content-Length: 42"
//   chunked-body = *chunk last-chunk trailer-section CRLF
//   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF               "1a;ext\r\n<26 bytes>\r\n"
//   last-chunk   = 1*("0") [ chunk-ext ] CRLF                                  "0\r\n"
//
// The body's length comes from, in order: no body (a HEAD request, 1xx, 204, 304); Transfer-Encoding: chunked
// (it overrides Content-Length, RFC 9112 6.3); Content-Length; else the body runs to the end of the connection.
// Interim 1xx responses (100 Continue) are skipped; 101 is refused (no upgrade here). A bare LF ends a line as
// CRLF does (RFC 9112 2.2). Every line is bounded by the line buffer the parser was given, and the count of
// header lines by maxHeaders: past either, the response is malformed.

// Events parse() returns.
/** Every byte given was consumed; call again with more. */
export const HTTP_NEED_MORE = 0;
/** A header line the parser does not use itself: headerNameIs() / headerValue() describe it. */
export const HTTP_HEADER = 1;
/** Status line and headers are complete: `status` and the body's framing are known. */
export const HTTP_HEAD = 2;
/** Body bytes: buf[bodyStart, bodyStart + bodyLength). */
export const HTTP_BODY = 3;
/** The response is complete (bytes after it are not read). */
export const HTTP_DONE = 4;
/** Malformed: `error` says why. The parser stays in error until reset(). */
export const HTTP_ERROR = 5;

const S_STATUS = 0;
const S_HEADER = 1;
const S_LENGTH = 2;
const S_CHUNK_SIZE = 3;
const S_CHUNK_DATA = 4;
const S_CHUNK_END = 5;
const S_TRAILER = 6;
const S_EOF = 7;
const S_DONE = 8;
const S_ERROR = 9;

const CR = 0x0d, LF = 0x0a, SP = 0x20, HT = 0x09, COLON = 0x3a;
/** Content-Length up to 15 digits: exact in a double. */
const MAX_LENGTH_DIGITS = 15;
/** Chunk sizes up to 0x7fffffff. */
const MAX_CHUNK_DIGITS = 8;

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

/** RFC 9110 tchar: the characters of a token (a field name). */
function tchar(c: number): boolean {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true;
  return c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2e ||
    c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = lower(c);
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

export class ResponseParser {
  /** Status code of the final response (after HTTP_HEAD). */
  status = 0;
  /** Content-Length, or -1. */
  contentLength = -1;
  chunked = false;
  /** Retry-After in seconds (the delta-seconds form), or -1. */
  retryAfter = -1;
  /** Where parsing stopped: the next byte to give. */
  pos = 0;
  bodyStart = 0;
  bodyLength = 0;
  error = "";
  readonly #line: Uint8Array;
  readonly #maxHeaders: number;
  #lineLength = 0;
  #state = S_STATUS;
  #left = 0;
  #headers = 0;
  #interim = false;
  #noBody = false;
  #nameEnd = 0;
  #valueStart = 0;
  #valueEnd = 0;

  /** `lineBuffer` bounds every line; it is the parser's own from now on. */
  constructor(lineBuffer: Uint8Array, maxHeaders = 64) {
    this.#line = lineBuffer;
    this.#maxHeaders = maxHeaders;
  }

  /** Ready for a new response; `noBody` for the answer to a HEAD request. */
  reset(noBody = false): void {
    this.status = 0;
    this.contentLength = -1;
    this.chunked = false;
    this.retryAfter = -1;
    this.pos = 0;
    this.bodyStart = this.bodyLength = 0;
    this.error = "";
    this.#lineLength = 0;
    this.#state = S_STATUS;
    this.#left = 0;
    this.#headers = 0;
    this.#interim = false;
    this.#noBody = noBody;
  }

  /** The body runs to the end of the connection (no length was given). */
  get untilEof(): boolean { return this.#state === S_EOF; }
  get done(): boolean { return this.#state === S_DONE; }

  /** Parse buf[pos, end) up to the next event; `this.pos` says where it stopped. */
  parse(buf: Uint8Array, pos: number, end: number): number {
    for (;;) {
      let state = this.#state;
      if (state === S_CHUNK_DATA && this.#left === 0) this.#state = state = S_CHUNK_END;
      if (state === S_ERROR) {
        this.pos = pos;
        return HTTP_ERROR;
      }
      if (state === S_LENGTH && this.#left === 0) return this.#finish(pos);
      if (state === S_DONE) {
        this.pos = end; // what follows a complete response is not ours to read
        return HTTP_NEED_MORE;
      }
      if (pos >= end) {
        this.pos = pos;
        return HTTP_NEED_MORE;
      }
      if (state === S_LENGTH || state === S_CHUNK_DATA || state === S_EOF) {
        let n = end - pos;
        if (state !== S_EOF && n > this.#left) n = this.#left;
        if (state !== S_EOF) this.#left -= n;
        this.bodyStart = pos;
        this.bodyLength = n;
        this.pos = pos + n;
        return HTTP_BODY;
      }
      // A line: collect it up to LF.
      const c = buf[pos++]!;
      if (c !== LF) {
        if (this.#lineLength === this.#line.length) {
          return this.#fail(pos, `a line longer than ${this.#line.length} bytes`);
        }
        this.#line[this.#lineLength++] = c;
        continue;
      }
      let length = this.#lineLength;
      if (length > 0 && this.#line[length - 1] === CR) length--;
      this.#lineLength = 0;
      const event = this.#onLine(length, pos);
      if (event !== HTTP_NEED_MORE) {
        this.pos = pos;
        return event;
      }
    }
  }

  /** The connection ended cleanly here: HTTP_DONE if that ends the body, else HTTP_ERROR with the reason. */
  endOfInput(): number {
    if (this.#state === S_EOF) return this.#finish(this.pos);
    if (this.#state === S_DONE) return HTTP_DONE;
    const where = this.#state === S_STATUS ? (this.#lineLength === 0 ? "before the status line" : "in the status line")
      : this.#state === S_HEADER ? "in the headers"
      : this.#state === S_LENGTH ? `${this.#left} bytes short of its Content-Length`
      : "inside the chunked body";
    return this.#fail(this.pos, `the connection closed ${where}`);
  }

  /** Whether the header line of the last HTTP_HEADER is named `name` (given in lower case, without the colon). */
  headerNameIs(name: string): boolean {
    if (name.length !== this.#nameEnd) return false;
    const line = this.#line;
    for (let i = 0; i < name.length; i++) if (lower(line[i]!) !== name.charCodeAt(i)) return false;
    return true;
  }

  /** The value of the last HTTP_HEADER (ASCII and Latin-1 bytes as characters). Allocates a string. */
  headerValue(): string {
    let s = "";
    const line = this.#line;
    for (let i = this.#valueStart; i < this.#valueEnd; i++) s += String.fromCharCode(line[i]!);
    return s;
  }

  #finish(pos: number): number {
    this.#state = S_DONE;
    this.pos = pos;
    return HTTP_DONE;
  }

  #fail(pos: number, why: string): number {
    this.#state = S_ERROR;
    this.error = why;
    this.pos = pos;
    return HTTP_ERROR;
  }

  #onLine(length: number, pos: number): number {
    switch (this.#state) {
      case S_STATUS: return this.#statusLine(length, pos);
      case S_HEADER: return this.#headerLine(length, pos);
      case S_CHUNK_SIZE: return this.#chunkSizeLine(length, pos);
      case S_CHUNK_END:
        if (length !== 0) return this.#fail(pos, "chunk data not followed by CRLF");
        this.#state = S_CHUNK_SIZE;
        return HTTP_NEED_MORE;
      case S_TRAILER:
        if (length === 0) return this.#finish(pos);
        if (++this.#headers > this.#maxHeaders) return this.#fail(pos, `more than ${this.#maxHeaders} header lines`);
        return HTTP_NEED_MORE; // trailer fields are not used
      default:
        return this.#fail(pos, "parser state"); // not reached
    }
  }

  #statusLine(length: number, pos: number): number {
    const line = this.#line;
    if (length === 0) return HTTP_NEED_MORE; // an empty line before the status line is ignored (RFC 9112 2.2)
    // "HTTP/1.x SSS" then the end or SP reason
    const prefix = "HTTP/1.";
    let ok = length >= 12;
    for (let i = 0; ok && i < prefix.length; i++) ok = line[i] === prefix.charCodeAt(i);
    ok = ok && line[7]! >= 0x30 && line[7]! <= 0x39 && line[8] === SP;
    let status = 0;
    for (let i = 9; ok && i < 12; i++) {
      const d = line[i]! - 0x30;
      ok = d >= 0 && d <= 9;
      status = status * 10 + d;
    }
    ok = ok && (length === 12 || line[12] === SP) && status >= 100;
    if (!ok) return this.#fail(pos, `bad status line "${this.#printable(length)}"`);
    if (status === 101) return this.#fail(pos, "101 Switching Protocols: no upgrade was asked for");
    this.#interim = status < 200;
    this.status = status;
    this.#state = S_HEADER;
    return HTTP_NEED_MORE;
  }

  #headerLine(length: number, pos: number): number {
    const line = this.#line;
    if (length === 0) return this.#endOfHeaders(pos);
    if (++this.#headers > this.#maxHeaders) return this.#fail(pos, `more than ${this.#maxHeaders} header lines`);
    if (line[0] === SP || line[0] === HT) return this.#fail(pos, "a folded header line (obsolete line folding)");
    let colon = 0;
    while (colon < length && line[colon] !== COLON) {
      if (!tchar(line[colon]!)) return this.#fail(pos, `bad header name "${this.#printable(length)}"`);
      colon++;
    }
    if (colon === length || colon === 0) return this.#fail(pos, `a header line without a name and colon "${this.#printable(length)}"`);
    let start = colon + 1, stop = length;
    while (start < stop && (line[start] === SP || line[start] === HT)) start++;
    while (stop > start && (line[stop - 1] === SP || line[stop - 1] === HT)) stop--;
    this.#nameEnd = colon;
    this.#valueStart = start;
    this.#valueEnd = stop;
    if (this.#interim) return HTTP_NEED_MORE;
    if (this.headerNameIs("content-length")) {
      const n = this.#decimal(start, stop, MAX_LENGTH_DIGITS);
      if (n < 0) return this.#fail(pos, `bad Content-Length "${this.headerValue()}"`);
      if (this.contentLength >= 0 && this.contentLength !== n) return this.#fail(pos, "two different Content-Length values");
      this.contentLength = n;
      return HTTP_NEED_MORE;
    }
    if (this.headerNameIs("transfer-encoding")) {
      const chunked = "chunked";
      let is = stop - start === chunked.length;
      for (let i = 0; is && i < chunked.length; i++) is = lower(line[start + i]!) === chunked.charCodeAt(i);
      if (!is) return this.#fail(pos, `Transfer-Encoding "${this.headerValue()}" is not supported (chunked only)`);
      this.chunked = true;
      return HTTP_NEED_MORE;
    }
    if (this.headerNameIs("retry-after")) {
      this.retryAfter = this.#decimal(start, stop, 9); // the HTTP-date form reads as -1: ignored
      return HTTP_NEED_MORE;
    }
    return HTTP_HEADER;
  }

  #endOfHeaders(pos: number): number {
    if (this.#interim) {
      this.#interim = false;
      this.#headers = 0;
      this.#state = S_STATUS;
      return HTTP_NEED_MORE;
    }
    const status = this.status;
    if (this.#noBody || status === 204 || status === 304) {
      this.#state = S_LENGTH; // no body: HTTP_DONE next
      this.#left = 0;
    } else if (this.chunked) this.#state = S_CHUNK_SIZE;
    else if (this.contentLength >= 0) {
      this.#state = S_LENGTH;
      this.#left = this.contentLength;
    } else this.#state = S_EOF;
    this.pos = pos;
    return HTTP_HEAD;
  }

  #chunkSizeLine(length: number, pos: number): number {
    const line = this.#line;
    let size = 0, i = 0;
    while (i < length) {
      const v = hexValue(line[i]!);
      if (v < 0) break;
      if (i === MAX_CHUNK_DIGITS) return this.#fail(pos, `chunk size "${this.#printable(length)}" too large`);
      size = size * 16 + v;
      i++;
    }
    let rest = i;
    while (rest < length && (line[rest] === SP || line[rest] === HT)) rest++;
    if (i === 0 || (rest < length && line[rest] !== 0x3b /* ; chunk-ext */)) {
      return this.#fail(pos, `bad chunk size line "${this.#printable(length)}"`);
    }
    if (size === 0) this.#state = S_TRAILER;
    else {
      this.#state = S_CHUNK_DATA;
      this.#left = size;
    }
    return HTTP_NEED_MORE;
  }

  /** Digits only in line[start, stop), at most `max` of them: the value, or -1. */
  #decimal(start: number, stop: number, max: number): number {
    if (stop === start || stop - start > max) return -1;
    let n = 0;
    for (let i = start; i < stop; i++) {
      const d = this.#line[i]! - 0x30;
      if (d < 0 || d > 9) return -1;
      n = n * 10 + d;
    }
    return n;
  }

  /** The start of the current line, printable, for an error message (at most 40 characters). */
  #printable(length: number): string {
    let s = "";
    const n = length < 40 ? length : 40;
    for (let i = 0; i < n; i++) {
      const c = this.#line[i]!;
      s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ".";
    }
    return n < length ? `${s}...` : s;
  }
}

/**
 * Writes a request head into a fixed buffer, ASCII and UTF-8, never past its end: put() returns false once it
 * would overflow (and the head is then unusable).
 */
export class HeadWriter {
  readonly buffer: Uint8Array;
  length = 0;
  #overflow = false;
  constructor(buffer: Uint8Array) {
    this.buffer = buffer;
  }
  reset(): void {
    this.length = 0;
    this.#overflow = false;
  }
  get overflow(): boolean { return this.#overflow; }

  put(text: string): boolean {
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      const size = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      if (at + size > buffer.length) {
        this.#overflow = true;
        return false;
      }
      if (size === 1) buffer[at++] = c;
      else if (size === 2) {
        buffer[at++] = 0xc0 | (c >> 6);
        buffer[at++] = 0x80 | (c & 0x3f);
      } else if (size === 3) {
        buffer[at++] = 0xe0 | (c >> 12);
        buffer[at++] = 0x80 | ((c >> 6) & 0x3f);
        buffer[at++] = 0x80 | (c & 0x3f);
      } else {
        buffer[at++] = 0xf0 | (c >> 18);
        buffer[at++] = 0x80 | ((c >> 12) & 0x3f);
        buffer[at++] = 0x80 | ((c >> 6) & 0x3f);
        buffer[at++] = 0x80 | (c & 0x3f);
      }
    }
    this.length = at;
    return true;
  }

  /** A non-negative integer in decimal. */
  putNumber(n: number): boolean {
    return this.put(String(n));
  }
}

/** Writes `n` (>= 0) in lower-case hex ending at buf[end) and returns where it starts. */
export function hexBefore(buf: Uint8Array, end: number, n: number): number {
  let at = end;
  do {
    const d = n & 15;
    buf[--at] = d < 10 ? 0x30 + d : 0x57 + d;
    n >>>= 4;
  } while (n > 0);
  return at;
}
