// The board rules the simulator reproduces, one switch each, all on by default. A rule is switched off only by the
// negative conformance checks (test/conformance-negative.test.js), to prove that the case named here fails when the
// simulator stops behaving like the board. What each rule is, and how the SDK was seen doing it, is in the README
// ("What the simulator reproduces").
export const RULES = {
  // TCP (embedded:io/socket/tcp)
  tcpHostThrows: { cases: ["tcp-host-throws"], off: "a name in `host` is looked up and the socket connects" },
  tcpReadPastThrows: { cases: ["tcp-read-past-throws"], off: "read(n) / read(view) past what is readable return less" },
  tcpWritePastThrows: { cases: ["tcp-write-past-throws"], off: "a write larger than the reported space is taken" },
  tcpErrorNoArgs: { cases: ["tcp-onerror-no-args"], off: "onError gets an Error argument" },
  tcpErrorAfterBytes: { cases: ["tcp-peer-close-onerror"], off: "a peer close drops the bytes not yet read" },
  tcpWriteAfterErrorIgnored: { cases: ["tcp-write-after-error-ignored"], off: "a write after onError throws" },
  // DNS (embedded:network/dns/resolver/udp)
  dnsLocalhostRewritten: { cases: ["dns-localhost"], off: "localhost is answered under its own name" },
  dnsTaskTimer: { cases: ["dns-literal-tick"], off: "a literal address is answered inside resolve()" },
  // TLSSocket (embedded:io/socket/tcp/tls)
  tlsAbort: {
    cases: ["tls-abort-untrusted", "tls-abort-tls13-only", "tls-guard-untrusted", "tls-guard-expired"],
    off: "a handshake failure is delivered to onError instead of thrown from the TCP callback",
  },
  tlsRequiresTcpIo: { cases: ["tls-requires-tcp-io"], off: "a TLSSocket without TCP.io uses a default TCP" },
  tlsThisNotSocket: { cases: ["tls-this-not-socket"], off: "callbacks are called with the socket as `this`" },
  tlsWritableAfterHandshake: { cases: ["tls-onwritable-minus-96"], off: "onWritable is reported as soon as TCP connects" },
  tlsWritableMinus96: { cases: ["tls-onwritable-minus-96"], off: "onWritable reports the TCP's whole space" },
  tlsReadViewCopies: { cases: ["tls-read-view-copies-available"], off: "read(view) past what is held throws" },
  tlsRecordPerReadable: { cases: ["tls-onreadable-per-record"], off: "onReadable reports every decrypted byte at once" },
  tlsWriteResult: { cases: ["tls-write-returns-space"], off: "write() returns the count written" },
  tlsOptionsToTcp: { cases: ["tls-tcp-gets-all-options"], off: "the TCP gets only address, port and callbacks" },
  tlsPeerCloseOnError: { cases: ["tls-peer-close-onerror"], off: "a close_notify is not reported" },
  tlsFirstFlightLost: {
    cases: ["tls-server-first-data-lost"],
    off: "data that arrives with the server's Finished is delivered",
  },
  tlsNeedsServerName: { cases: ["tls-no-server-name-throws"], off: "no server name: the address is used" },
  // The board's certificate verifier (sim/board-verifier.js)
  tlsSanOnly: { cases: ["tls-name-cn-ignored"], off: "the subject CN is matched too" },
  tlsWildcardFirstLabel: {
    cases: ["tls-name-star-tld", "tls-name-partial-wildcard"],
    off: "Node's name rule: no `*.tld`, partial wildcards such as `f*.wild.test` match",
  },
  tlsWildcardOneLabel: { cases: ["tls-name-wildcard-one-label"], off: "a leading `*` stands for any number of labels" },
  tlsIpAddressSan: { cases: ["tls-name-ip-address"], off: "iPAddress SANs are not read" },
  tlsChainOfTwo: {
    cases: ["tls-abort-leaf-only", "tls-guard-leaf-only", "tls-module-leaf-only"],
    off: "a leaf sent alone is name-checked and accepted",
  },
  tlsDateCheck: {
    cases: ["tls-abort-expired", "tls-guard-expired", "tls-module-expired"],
    off: "certificate dates are not checked",
  },
  tlsAkiLookup: {
    cases: ["tls-abort-root-no-aki", "tls-guard-root-no-aki", "tls-module-root-no-aki"],
    off: "an issuer without Authority Key Identifier is looked up without throwing",
  },
  tlsBoardLimits: {
    cases: ["tls-guard-tls13-only", "tls-guard-aes256-only", "tls-guard-x25519-only"],
    off: "Node's own TLS versions, suites and curves",
  },
};

/** Every rule on: the board's behaviour. `off` switches the named rules off. */
export function rulesWith(off = {}) {
  const rules = {};
  for (const name of Object.keys(RULES)) rules[name] = true;
  for (const [name, value] of Object.entries(off)) {
    if (!(name in RULES)) throw new Error(`simulator: no board rule named ${name}`);
    rules[name] = value;
  }
  return rules;
}
