// The board's certificate verifier, reproduced for the simulator: what Moddable SDK 8.2.3's TLS (modules/crypt/ssl)
// accepts and refuses when a server sends its chain, measured in the SDK's own simulator (README, "What the
// simulator reproduces"). Our own code over node:crypto, not a port: it decides the same way, with the same log lines.
//
//   certs = the chain the server sent, leaf first; trusted = the CA certificates the device gave (DER)
//   - the server name is matched against the leaf's subjectAltName only (the subject CN is never read): a dNSName
//     matches case-insensitively, exactly, or with a leading "*" that stands for the server name's first label
//     (everything up to its first dot); an iPAddress matches an IPv4 server name in dotted form;
//   - walking pairs (cert i, cert i+1) for every cert but the last: cert i out of its dates -> log and skip the pair;
//     cert i not signed by cert i+1 -> skip; else the trusted CA is looked up by cert i+1's Authority Key Identifier
//     compared with each trusted CA's Subject Key Identifier: a cert i+1 with no AKI makes that comparison throw
//     TypeError "invalid buffer" (the board's Bin.comp on undefined), for good chains as for bad ones; a trusted CA
//     with that key id that signed cert i+1 ends the walk: the result is the name match;
//   - then the last cert: out of its dates -> "date validation failed", refused; signed by a trusted CA -> the name
//     match; else refused. A leaf sent alone therefore never has its name matched: always refused.
//   - after acceptance the leaf is registered, and registering checks its dates again: an expired leaf whose chain
//     was otherwise good throws Error "date validation failed".
// Refused -> the caller throws TLSError "certificate: auth err". `rules` can switch a rule off for the negative
// conformance checks (sim/rules.js).

import crypto from "node:crypto";
import tls from "node:tls";

// DER: [tag][length][value]; only what the verifier reads.
function readTLV(bytes, at) {
  const tag = bytes[at];
  let length = bytes[at + 1];
  let head = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[at + 2 + i];
    head += count;
  }
  return { tag, start: at + head, end: at + head + length };
}

function children(bytes, { start, end }) {
  const list = [];
  for (let at = start; at < end;) {
    const tlv = readTLV(bytes, at);
    list.push(tlv);
    at = tlv.end;
  }
  return list;
}

const OID_SKI = "551d0e";
const OID_AKI = "551d23";
const OID_SAN = "551d11";

/** Extensions of a certificate: OID hex -> the extnValue's content (the DER inside the OCTET STRING). */
function extensions(der) {
  const certificate = readTLV(der, 0);
  const tbs = children(der, certificate)[0];
  const found = new Map();
  for (const field of children(der, tbs)) {
    if (field.tag !== 0xa3) continue; // [3] extensions
    const list = children(der, field)[0];
    for (const extension of children(der, list)) {
      const parts = children(der, extension);
      const oid = Buffer.from(der.subarray(parts[0].start, parts[0].end)).toString("hex");
      const value = parts[parts.length - 1];
      found.set(oid, der.subarray(value.start, value.end));
    }
  }
  return found;
}

function subjectPublicKeyBits(der) {
  const tbs = children(der, readTLV(der, 0))[0];
  const fields = children(der, tbs);
  // version [0] is optional: serial, signature, issuer, validity, subject, subjectPublicKeyInfo
  const spki = fields[fields[0].tag === 0xa0 ? 6 : 5];
  const bits = children(der, spki)[1];
  return der.subarray(bits.start + 1, bits.end); // past the unused-bits byte
}

/** Subject Key Identifier, or SHA-1 of the public key when the certificate has none (as the board makes one up). */
export function subjectKeyId(der) {
  const ski = extensions(der).get(OID_SKI);
  if (ski) {
    const octets = readTLV(ski, 0);
    return ski.subarray(octets.start, octets.end);
  }
  return crypto.createHash("sha1").update(subjectPublicKeyBits(der)).digest();
}

/** The keyIdentifier [0] of the Authority Key Identifier, or undefined. */
export function authorityKeyId(der) {
  const aki = extensions(der).get(OID_AKI);
  if (!aki) return undefined;
  for (const part of children(aki, readTLV(aki, 0))) {
    if ((part.tag & 0x1f) === 0) return aki.subarray(part.start, part.end);
  }
  return undefined;
}

/** subjectAltName entries: { type: "dns" | "ip" | "other", value }. */
export function altNames(der) {
  const san = extensions(der).get(OID_SAN);
  if (!san) return [];
  return children(san, readTLV(san, 0)).map((name) => {
    const value = san.subarray(name.start, name.end);
    const tag = name.tag & 0x1f;
    if (tag === 2) return { type: "dns", value: Buffer.from(value).toString("latin1") };
    if (tag === 7) return { type: "ip", value: value.length === 4 ? Array.from(value).join(".") : undefined };
    return { type: "other" };
  });
}

/** The board's name rule for one certificate: true, false, or undefined (no SAN that speaks to it). */
function nameMatches(der, serverName, rules) {
  if (!rules.tlsWildcardFirstLabel) return nodeNameRule(der, serverName); // rule off: Node's rule, for negative checks
  let match;
  for (const name of altNames(der)) {
    if (name.type === "dns") {
      const pattern = name.value.toLowerCase();
      if (pattern.charCodeAt(0) === 42 /* * */) {
        if (pattern.indexOf("*", 1) > 0) continue;
        const dot = serverName.indexOf(".");
        if (dot < 0) continue;
        // Rule off: the star stands for any number of labels.
        match = rules.tlsWildcardOneLabel
          ? pattern.slice(1) === serverName.slice(dot)
          : serverName.endsWith(pattern.slice(1));
      } else match = pattern === serverName;
    } else if (name.type === "ip" && rules.tlsIpAddressSan) {
      if (name.value === undefined) continue;
      match = name.value === serverName;
    }
    if (match) break;
  }
  if (!match && !rules.tlsSanOnly) {
    // Rule off: accept the subject CN too, as lenient verifiers do.
    const cn = /CN=([^\n,]+)/.exec(new crypto.X509Certificate(der).subject)?.[1];
    if (cn && cn.toLowerCase() === serverName) match = true;
  }
  return match;
}

/** Node's own host name check (partial wildcards allowed, no wildcard over a single label). */
function nodeNameRule(der, serverName) {
  const x509 = new crypto.X509Certificate(der);
  const cn = /CN=([^\n,]+)/.exec(x509.subject)?.[1];
  return tls.checkServerIdentity(serverName, { subject: { CN: cn }, subjectaltname: x509.subjectAltName }) === undefined;
}

function inDates(der, now) {
  const x509 = new crypto.X509Certificate(der);
  return Date.parse(x509.validFrom) < now && now < Date.parse(x509.validTo);
}

function signedBy(der, issuerDer) {
  try {
    return new crypto.X509Certificate(der).verify(new crypto.X509Certificate(issuerDer).publicKey);
  } catch {
    return false;
  }
}

/** The board's Bin.comp: throws TypeError "invalid buffer" when either side is missing. */
function sameKeyId(a, b) {
  if (!a || !b) throw new TypeError("invalid buffer");
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

/**
 * Verify `certs` (DER, leaf first) against `trusted` (DER) for `serverName` as the board does.
 * Returns { ok, log: [lines the board traces] }; throws what the board throws (TypeError "invalid buffer",
 * Error "date validation failed").
 */
export function verifyChain(certs, trusted, serverName, rules, now = Date.now()) {
  const log = [];
  const name = serverName?.toLowerCase();
  if (!name) {
    log.push("tls_server_name required");
    return { ok: false, log };
  }
  const accept = (match) => {
    if (!match) log.push(`subjectAltName match failed for ${name}`);
    return { ok: !!match, log };
  };
  const last = certs.length - 1;
  let match;
  for (let i = 0; i < last; i++) {
    const m = nameMatches(certs[i], name, rules);
    if (m !== undefined) match = m;
    if (rules.tlsDateCheck && !inDates(certs[i], now)) {
      log.push("date validation failed on received certificate");
      continue;
    }
    if (!signedBy(certs[i], certs[i + 1])) continue;
    const aki = rules.tlsAkiLookup ? authorityKeyId(certs[i + 1]) : authorityKeyId(certs[i + 1]) ?? Buffer.alloc(0);
    for (const ca of trusted) {
      if (sameKeyId(subjectKeyId(ca), aki) && signedBy(certs[i + 1], ca)) return accept(match);
    }
  }
  if (rules.tlsDateCheck && !inDates(certs[last], now)) {
    log.push("date validation failed");
    return { ok: false, log };
  }
  if (last === 0 && !rules.tlsChainOfTwo) {
    // Rule off: a leaf sent alone is name-checked like any other, as lenient verifiers do.
    match = nameMatches(certs[0], name, rules);
  }
  for (const ca of trusted) {
    if (signedBy(certs[last], ca)) return accept(match);
  }
  return { ok: false, log };
}

/** The board registers the accepted leaf, checking its dates once more: Error "date validation failed". */
export function registerLeaf(leaf, rules, now = Date.now()) {
  if (rules.tlsDateCheck && !inDates(leaf, now)) throw new Error("date validation failed");
}

/** A CA given to the socket is registered when the socket is made: out of its dates, the constructor throws. */
export function registerTrusted(ca, rules, now = Date.now()) {
  if (rules.tlsDateCheck && !inDates(ca, now)) throw new Error("date validation failed");
}
