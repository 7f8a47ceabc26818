// Real TCP/TLS peers for simulator tests. Every server listens on 127.0.0.1
// with an ephemeral port and resolves to
//   { port, close(): Promise<void>, get connections(): number, ... }
//
// Certificates come from test/fixtures/certs (see test/fixtures/make-certs.sh).
// All servers swallow per-socket errors and `tlsClientError`, so a test that
// exercises a refusal (bad version, no shared cipher, untrusted chain, reset)
// never crashes Node.

import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import crypto from 'node:crypto';

const CERT_DIR = new URL('../fixtures/certs/', import.meta.url);
const read = (name) => fs.readFileSync(new URL(name, CERT_DIR));

/** PEM/DER buffers of the fixture certificates and (test-only) keys. */
export const certs = Object.freeze({
	caPem: read('ca.pem'),
	caDer: read('ca.der'),
	caKey: read('ca.key'),
	serverPem: read('server.pem'),
	serverKey: read('server.key'),
	serverRsaPem: read('server-rsa.pem'),
	serverRsaKey: read('server-rsa.key'),
	wrongnamePem: read('wrongname.pem'),
	wrongnameKey: read('wrongname.key'),
	expiredPem: read('expired.pem'),
	expiredKey: read('expired.key'),
	roguePem: read('rogue.pem'),
	rogueKey: read('rogue.key'),
	rogueCaPem: read('rogue-ca.pem'),
	rogueCaDer: read('rogue-ca.der'),
	rogueCaKey: read('rogue-ca.key'),
	intCaPem: read('int-ca.pem'),
	chainedPem: read('chained.pem'),
	chainedKey: read('chained.key'),
	noakiCaPem: read('noaki-ca.pem'),
	noakiCaDer: read('noaki-ca.der'),
	noakiPem: read('noaki.pem'),
	noakiKey: read('noaki.key'),
	cnOnlyPem: read('cn-only.pem'),
	cnOnlyKey: read('cn-only.key'),
	starTldPem: read('star-tld.pem'),
	starTldKey: read('star-tld.key'),
	partialWildPem: read('partial-wild.pem'),
	partialWildKey: read('partial-wild.key'),
});

// name -> [leaf PEM, key PEM, issuing CA PEM]
const IDENTITIES = {
	server: [certs.serverPem, certs.serverKey, certs.caPem],
	'server-rsa': [certs.serverRsaPem, certs.serverRsaKey, certs.caPem],
	wrongname: [certs.wrongnamePem, certs.wrongnameKey, certs.caPem],
	expired: [certs.expiredPem, certs.expiredKey, certs.caPem],
	rogue: [certs.roguePem, certs.rogueKey, certs.rogueCaPem],
	chained: [certs.chainedPem, certs.chainedKey, certs.intCaPem], // leaf + intermediate, as public servers send
	noaki: [certs.noakiPem, certs.noakiKey, certs.noakiCaPem],
	'cn-only': [certs.cnOnlyPem, certs.cnOnlyKey, certs.caPem],
	'star-tld': [certs.starTldPem, certs.starTldKey, certs.caPem],
	'partial-wild': [certs.partialWildPem, certs.partialWildKey, certs.caPem],
};

const noop = () => {};

/** Lower-case hex SHA-256 of a Buffer/Uint8Array/string. */
export function sha256(bytes) {
	return crypto.createHash('sha256').update(bytes).digest('hex');
}

/**
 * Deterministic pseudo-random byte stream: xorshift32 (13, 17, 5), one step
 * per byte, each byte = low 8 bits of the state after the step.
 *   x ^= x << 13; x ^= x >>> 17; x ^= x << 5; byte = x & 0xFF
 * Seed must be a non-zero uint32 (default 1).
 */
export function pattern(size, seed = 1) {
	let x = seed >>> 0;
	if (!x) throw new RangeError('pattern: seed must be a non-zero uint32');
	const out = new Uint8Array(size);
	for (let i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		out[i] = x & 0xFF;
	}
	return out;
}

// Listen on 127.0.0.1:0 and build the common handle.
function start(server, extra = {}) {
	const sockets = new Set();
	let connections = 0;
	server.on('connection', (socket) => {
		connections++;
		sockets.add(socket);
		socket.on('error', noop);
		socket.on('close', () => sockets.delete(socket));
	});
	server.on('tlsClientError', noop);
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			server.off('error', reject);
			server.on('error', noop);
			let closing;
			const handle = {
				port: server.address().port,
				get connections() { return connections; },
				close() {
					closing ??= new Promise((done) => {
						for (const s of sockets) s.destroy();
						sockets.clear();
						server.close(() => done());
					});
					return closing;
				},
			};
			resolve(Object.defineProperties(handle, Object.getOwnPropertyDescriptors(extra)));
		});
	});
}

function tlsOptions(opts = {}) {
	const name = opts.cert ?? 'server';
	const id = IDENTITIES[name];
	if (!id) throw new Error(`servers: unknown cert "${name}" (expected ${Object.keys(IDENTITIES).join(', ')})`);
	const [leaf, key, issuer] = id;
	const chain = opts.chain ?? true;
	const o = {
		cert: chain ? Buffer.concat([leaf, Buffer.from('\n'), issuer]) : leaf,
		key,
		minVersion: opts.minVersion ?? 'TLSv1.2',
		maxVersion: opts.maxVersion ?? 'TLSv1.3',
	};
	if (opts.ciphers !== undefined) o.ciphers = opts.ciphers;
	if (opts.ecdhCurve !== undefined) o.ecdhCurve = opts.ecdhCurve;
	return o;
}

// TLS server; `handler(tlsSocket)` runs after the handshake completes.
function tlsServer(opts, handler, extra) {
	let secureConnections = 0;
	const server = tls.createServer(tlsOptions(opts), (socket) => {
		secureConnections++;
		socket.on('error', noop);
		opts?.onConnection?.(socket);
		handler(socket);
	});
	return start(server, {
		...extra,
		/** Connections that completed the TLS handshake. */
		get secureConnections() { return secureConnections; },
	});
}

// Per-connection receive log shared by tlsSource / tlsSink.
function receiveLog() {
	const received = [];
	const waiters = [];
	const settle = () => {
		for (let i = waiters.length - 1; i >= 0; i--) {
			if (received.length >= waiters[i].count) {
				waiters[i].resolve(received);
				waiters.splice(i, 1);
			}
		}
	};
	// Hash everything the socket delivers; record once on 'end' (clean) or
	// 'close' (reset/destroy), whichever comes first. `onEnd` runs after the
	// record is pushed, so a peer that sees our FIN can already read it.
	const track = (socket, onEnd) => {
		const hash = crypto.createHash('sha256');
		let bytes = 0;
		let done = false;
		const record = () => {
			if (done) return;
			done = true;
			received.push({ bytes, sha256: hash.digest('hex') });
			settle();
		};
		socket.on('data', (chunk) => { bytes += chunk.length; hash.update(chunk); });
		socket.on('end', () => { record(); onEnd?.(); });
		socket.on('close', record);
	};
	const extra = {
		received,
		/** Resolves with `received` once at least `count` connections have been recorded. */
		waitReceived(count = 1, timeoutMs = 5000) {
			if (received.length >= count) return Promise.resolve(received);
			return new Promise((resolve, reject) => {
				const w = { count, resolve: (r) => { clearTimeout(t); resolve(r); } };
				const t = setTimeout(() => {
					waiters.splice(waiters.indexOf(w), 1);
					reject(new Error(`waitReceived(${count}): only ${received.length} after ${timeoutMs} ms`));
				}, timeoutMs);
				waiters.push(w);
			});
		},
	};
	return { track, extra };
}

/** Plain TCP echo server. */
export function tcpEcho() {
	return start(net.createServer((socket) => socket.pipe(socket)));
}

/**
 * TLS echo server.
 * opts: { cert: 'server'|'server-rsa'|'wrongname'|'expired'|'rogue' = 'server',
 *         chain = true (leaf + issuing CA; false = leaf alone),
 *         minVersion = 'TLSv1.2', maxVersion = 'TLSv1.3', ciphers, ecdhCurve,
 *         onConnection(tlsSocket) }
 */
export function tlsEcho(opts = {}) {
	return tlsServer(opts, (socket) => socket.pipe(socket));
}

/** Refuses TLS 1.2 clients (protocol_version alert). */
export const tls13Only = (opts = {}) => tlsEcho({ ...opts, minVersion: 'TLSv1.3' });
/** TLS 1.2 with ECDHE-ECDSA-AES256-GCM-SHA384 only (handshake_failure for AES128-only clients). */
export const aes256Only = (opts = {}) => tlsEcho({ ...opts, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
/** TLS 1.2 with X25519 as the only ECDHE group. */
export const x25519Only = (opts = {}) => tlsEcho({ ...opts, maxVersion: 'TLSv1.2', ecdhCurve: 'X25519' });
/** Sends the leaf certificate without the CA. */
export const leafOnly = (opts = {}) => tlsEcho({ ...opts, chain: false });
/** Leaf + CA from the untrusted "Rogue CA". */
export const untrusted = (opts = {}) => tlsEcho({ ...opts, cert: 'rogue' });
/** Leaf expired 2020-06-01. */
export const expiredCert = (opts = {}) => tlsEcho({ ...opts, cert: 'expired' });
/** Leaf whose only SAN is DNS:other.example. */
export const wrongName = (opts = {}) => tlsEcho({ ...opts, cert: 'wrongname' });
/** Leaf + intermediate CA (the intermediate is issued by the trusted root, which is not sent). */
export const chained = (opts = {}) => tlsEcho({ ...opts, cert: 'chained' });
/** Leaf + a root that has no Authority Key Identifier (trust noaki-ca.der). */
export const noAki = (opts = {}) => tlsEcho({ ...opts, cert: 'noaki' });
/** Leaf with CN=localhost whose only SAN is DNS:unused.example. */
export const cnOnly = (opts = {}) => tlsEcho({ ...opts, cert: 'cn-only' });
/** Leaf whose only SAN is DNS:*.test. */
export const starTld = (opts = {}) => tlsEcho({ ...opts, cert: 'star-tld' });
/** Leaf whose only SAN is DNS:f*.wild.test (a partial wildcard). */
export const partialWild = (opts = {}) => tlsEcho({ ...opts, cert: 'partial-wild' });

/** TLS server that waits for the client's first bytes, then writes `sizes` bytes as separate writes in one go. */
export function tlsRecords(sizes, opts = {}) {
	return tlsServer(opts, (socket) => socket.once('data', () => {
		sizes.forEach((size, i) => socket.write(pattern(size, i + 1)));
	}));
}

/** TLS server that waits for the client's first bytes, answers `size` bytes and ends its side. */
export function tlsReplyClose(size, opts = {}) {
	return tlsServer(opts, (socket) => socket.once('data', () => socket.end(pattern(size))));
}

/**
 * TLS server that sends `size` bytes of pattern(size, opts.seed ?? 1) on
 * connect, then ends its side. Everything received per connection is
 * recorded in `received` ({ bytes, sha256 }) when that connection ends.
 */
export function tlsSource(size, opts = {}) {
	const data = pattern(size, opts.seed ?? 1);
	const { track, extra } = receiveLog();
	return tlsServer(opts, (socket) => {
		track(socket);
		socket.end(data);
	}, extra);
}

/**
 * TLS server that reads everything, writes nothing, and ends its side once
 * the client ends. Per connection { bytes, sha256 } is pushed to `received`
 * before the server's end is sent.
 */
export function tlsSink(opts = {}) {
	const { track, extra } = receiveLog();
	return tlsServer(opts, (socket) => {
		track(socket, () => socket.end());
	}, extra);
}
