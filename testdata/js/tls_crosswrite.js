// A Node TLS client whose handshake-done callback writes on ANOTHER
// connection too: for each new connection X, its 'secureConnect' handler
// (run inside X's SSL_read) sends a request on a keep-alive connection Y
// opened first, then X's own.  The write on Y is a TLS call on another
// object made inside a call on X.
//
//   node tls_crosswrite.js PORT CONNS
//
// Requests "GET /y/<i>" on Y and "GET /n/<i>" on X_i; prints the truth:
//     keep lport <L> rport <R>
//     conn <i> lport <L> rport <R>
// then "done".  Exit 1 on any error.
'use strict';
const tls = require('tls');

const [port, conns] = process.argv.slice(2).map(Number);
const opts = { host: '127.0.0.1', port, rejectUnauthorized: false };

function request(path, close) {
	return `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: ${close ? 'close' : 'keep-alive'}\r\n\r\n`;
}

function open(onSecure) {
	return new Promise((resolve, reject) => {
		const s = tls.connect(opts, () => { onSecure(s); resolve(s); });
		s.on('error', reject);
	});
}

(async () => {
	let answers = 0;
	const keep = await open((s) => console.log(`keep lport ${s.localPort} rport ${s.remotePort}`));
	keep.on('data', (d) => { answers += (String(d).match(/HTTP\/1.1 200/g) || []).length; });
	for (let i = 0; i < conns; i++) {
		await new Promise((resolve, reject) => {
			const x = tls.connect(opts, () => {
				console.log(`conn ${i} lport ${x.localPort} rport ${x.remotePort}`);
				keep.write(request(`/y/${i}`, false));
				x.write(request(`/n/${i}`, true));
			});
			let body = '';
			x.on('data', (d) => { body += d; });
			x.on('end', () => (body.startsWith('HTTP/1.1 200') ? resolve() : reject(new Error(`conn ${i}`))));
			x.on('error', reject);
		});
	}
	while (answers < conns)
		await new Promise((r) => setTimeout(r, 10));
	keep.end();
	console.log('done');
})().catch((e) => {
	console.error(`error: ${e.message}`);
	process.exit(1);
});
