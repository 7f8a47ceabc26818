// Self-test for test/support/servers.js. Not a uvu test:
//   node test/support/servers.selftest.js
// exits 0 when every server behaves as the simulator tests expect, using a
// Node TLS client configured like a small TLS-1.2-only embedded client.

import net from 'node:net';
import tls from 'node:tls';
import {
	certs, pattern, sha256,
	tcpEcho, tlsEcho, tls13Only, aes256Only, x25519Only, leafOnly,
	untrusted, expiredCert, wrongName, tlsSource, tlsSink,
} from './servers.js';

const EMBEDDED_CLIENT = {
	minVersion: 'TLSv1.2',
	maxVersion: 'TLSv1.2',
	ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA256:AES128-SHA:AES256-SHA:AES128-SHA256:AES256-SHA256',
	ecdhCurve: 'P-256',
	ca: certs.caPem,
	servername: 'localhost',
};

let failures = 0;
const pass = (name, detail = '') => console.log(`ok   ${name}${detail ? ` - ${detail}` : ''}`);
const fail = (name, detail = '') => { failures++; console.log(`FAIL ${name}${detail ? ` - ${detail}` : ''}`); };

const withTimeout = (p, ms, what) => Promise.race([
	p,
	new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms).unref()),
]);

// Resolves with the connected TLS socket, rejects with the handshake error.
function tlsConnect(port, extra = {}) {
	return withTimeout(new Promise((resolve, reject) => {
		const socket = tls.connect({ host: '127.0.0.1', port, ...EMBEDDED_CLIENT, ...extra });
		socket.once('secureConnect', () => { socket.off('error', reject); socket.on('error', () => {}); resolve(socket); });
		socket.once('error', reject);
	}), 5000, `tls connect :${port}`);
}

// Reads until `socket` ends; resolves with the concatenated bytes.
function readAll(socket) {
	return withTimeout(new Promise((resolve, reject) => {
		const chunks = [];
		socket.on('data', (c) => chunks.push(c));
		socket.once('end', () => resolve(Buffer.concat(chunks)));
		socket.once('error', reject);
	}), 10000, 'readAll');
}

// Writes `data`, reads back exactly data.length bytes.
function roundTrip(socket, data) {
	return withTimeout(new Promise((resolve, reject) => {
		const chunks = [];
		let n = 0;
		socket.on('data', (c) => {
			chunks.push(c);
			n += c.length;
			if (n >= data.length) resolve(Buffer.concat(chunks));
		});
		socket.once('error', reject);
		socket.write(data);
	}), 5000, 'roundTrip');
}

async function checkEcho(name, server, connect) {
	try {
		const socket = await connect(server.port);
		const data = Buffer.from(pattern(20000, 42));
		const back = await roundTrip(socket, data);
		const detail = socket.getProtocol ? `${socket.getProtocol()} ${socket.getCipher().name}` : 'tcp';
		socket.destroy();
		if (Buffer.compare(back, data) === 0) pass(name, `echoed ${data.length} bytes (${detail})`);
		else fail(name, `echo mismatch: got ${back.length} bytes`);
	}
	catch (e) {
		fail(name, `${e.code ?? ''} ${e.message}`);
	}
	finally {
		await server.close();
	}
}

// Expects the handshake to fail; `expected` (optional) is the exact err.code.
async function checkRefusal(name, server, expected) {
	try {
		const socket = await tlsConnect(server.port);
		fail(name, `unexpectedly connected (${socket.getProtocol()} ${socket.getCipher().name})`);
		socket.destroy();
	}
	catch (e) {
		if (!e.code) fail(name, `no error code: ${e.message}`);
		else if (expected && e.code !== expected) fail(name, `expected ${expected}, got ${e.code} (${e.message})`);
		else pass(name, `refused: ${e.code} (${e.message.split('\n')[0]})`);
	}
	finally {
		const n = server.connections;
		await server.close();
		if (n !== 1) fail(`${name} connections`, `expected 1 accepted socket, got ${n}`);
	}
}

async function main() {
	await checkEcho('tcpEcho', await tcpEcho(), (port) => withTimeout(new Promise((resolve, reject) => {
		const s = net.connect(port, '127.0.0.1', () => resolve(s));
		s.once('error', reject);
	}), 5000, 'tcp connect'));

	await checkEcho('tlsEcho', await tlsEcho(), tlsConnect);
	await checkEcho('tlsEcho server-rsa', await tlsEcho({ cert: 'server-rsa' }), tlsConnect);
	await checkEcho('tlsEcho TLS 1.3 (unrestricted client)', await tlsEcho(), (port) => tlsConnect(port, {
		minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: undefined, ecdhCurve: undefined,
	}));
	await checkEcho('tlsEcho by IP (no servername)', await tlsEcho(), (port) => tlsConnect(port, { servername: undefined }));

	await checkRefusal('tls13Only', await tls13Only(), 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
	await checkRefusal('aes256Only', await aes256Only(), 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
	await checkRefusal('x25519Only', await x25519Only());
	await checkRefusal('untrusted', await untrusted());
	await checkRefusal('expiredCert', await expiredCert(), 'CERT_HAS_EXPIRED');
	await checkRefusal('wrongName', await wrongName(), 'ERR_TLS_CERT_ALTNAME_INVALID');

	// Node accepts a leaf-only chain when the leaf's issuer is in `ca`; the
	// simulator applies the board's stricter rule elsewhere.
	{
		const server = await leafOnly();
		try {
			const socket = await tlsConnect(server.port);
			const chain = [];
			for (let c = socket.getPeerCertificate(true); c && !chain.includes(c); c = c.issuerCertificate) chain.push(c);
			pass('leafOnly', `Node accepts it (authorized=${socket.authorized}, ${socket.getProtocol()} ${socket.getCipher().name}, peer chain as Node sees it: ${chain.map((c) => c.subject.CN).join(' <- ')})`);
			socket.destroy();
		}
		catch (e) {
			fail('leafOnly', `expected Node to accept, got ${e.code} ${e.message}`);
		}
		await server.close();
	}

	// x25519Only must still work for a client that offers X25519.
	{
		const server = await x25519Only();
		try {
			const socket = await tlsConnect(server.port, { ecdhCurve: 'X25519:P-256' });
			const key = socket.getEphemeralKeyInfo();
			if (key.name === 'X25519') pass('x25519Only (X25519 client)', `${socket.getProtocol()} ${socket.getCipher().name} ${key.name}`);
			else fail('x25519Only (X25519 client)', `ephemeral key ${key.name}`);
			socket.destroy();
		}
		catch (e) {
			fail('x25519Only (X25519 client)', `${e.code} ${e.message}`);
		}
		await server.close();
	}

	for (const size of [0, 1, 16385, 300000]) {
		const server = await tlsSource(size);
		const name = `tlsSource(${size})`;
		try {
			const socket = await tlsConnect(server.port);
			const sent = Buffer.from('hello source');
			const got = readAll(socket);
			socket.end(sent);
			const data = await got;
			const want = sha256(pattern(size));
			if (data.length !== size) fail(name, `got ${data.length} bytes`);
			else if (sha256(data) !== want) fail(name, 'sha256 mismatch');
			else pass(name, `received ${size} bytes, sha256 ${want.slice(0, 16)}...`);
			const [rec] = await server.waitReceived(1);
			if (rec.bytes === sent.length && rec.sha256 === sha256(sent)) pass(`${name} received log`, JSON.stringify(rec).slice(0, 60) + '...');
			else fail(`${name} received log`, JSON.stringify(rec));
		}
		catch (e) {
			fail(name, `${e.code ?? ''} ${e.message}`);
		}
		await server.close();
	}

	{
		const server = await tlsSink();
		const name = 'tlsSink';
		try {
			const socket = await tlsConnect(server.port);
			const data = Buffer.from(pattern(100000, 7));
			const got = readAll(socket);
			socket.end(data);
			const back = await got;
			// The record is pushed before the server's end is sent.
			const rec = server.received[0];
			if (back.length !== 0) fail(name, `sink wrote ${back.length} bytes`);
			else if (!rec) fail(name, 'nothing recorded by the time the server ended');
			else if (rec.bytes !== data.length || rec.sha256 !== sha256(data)) fail(name, `recorded ${JSON.stringify(rec)}`);
			else pass(name, `recorded ${rec.bytes} bytes, sha256 matches; server ended after client end`);
		}
		catch (e) {
			fail(name, `${e.code ?? ''} ${e.message}`);
		}
		await server.close();
	}

	// close() tears down a live connection and the port stops accepting.
	{
		const server = await tlsEcho();
		const socket = await tlsConnect(server.port);
		const closed = new Promise((resolve) => socket.once('close', resolve));
		await withTimeout(server.close(), 2000, 'close() with open socket');
		await withTimeout(closed, 2000, 'client sees close');
		await server.close(); // idempotent
		const refused = await new Promise((resolve) => {
			const s = net.connect(server.port, '127.0.0.1', () => { s.destroy(); resolve(false); });
			s.once('error', (e) => resolve(e.code));
		});
		if (refused === 'ECONNREFUSED') pass('close()', 'destroys open sockets, port refuses afterwards');
		else fail('close()', `port after close: ${refused}`);
	}

	console.log(failures ? `${failures} check(s) FAILED` : 'all checks passed');
	process.exit(failures ? 1 : 0);
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
