// A Node TLS client that opens a NEW connection for each request and
// writes it from its 'secureConnect' handler, which Node runs inside
// SSL_read (the handshake completes there): the write is a TLS call made
// inside another on the same thread, and the first of its connection.
//
//   node tls_newconns.js PORT CONNS PARALLEL
//
// Request i is "GET /n/<i>" with Connection: close, PARALLEL connections at
// a time; for each it prints the truth of the connection that carried it:
//     conn <i> lport <L> rport <R>
// then "done".  Exit 1 on any error.
'use strict';
const tls = require('tls');

const [port, conns, parallel] = process.argv.slice(2).map(Number);

function one(i) {
	return new Promise((resolve, reject) => {
		const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
		let body = '';
		s.on('secureConnect', () => {
			console.log(`conn ${i} lport ${s.localPort} rport ${s.remotePort}`);
			s.write(`GET /n/${i} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
		});
		s.on('data', (d) => { body += d; });
		s.on('end', () => (body.startsWith('HTTP/1.1 200') ? resolve() : reject(new Error(`request ${i}: ${body.slice(0, 80)}`))));
		s.on('error', reject);
	});
}

(async () => {
	for (let first = 0; first < conns; first += parallel) {
		const batch = [];
		for (let i = first; i < Math.min(first + parallel, conns); i++)
			batch.push(one(i));
		await Promise.all(batch);
	}
	console.log('done');
})().catch((e) => {
	console.error(`error: ${e.message}`);
	process.exit(1);
});
