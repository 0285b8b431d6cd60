// A Node TLS server that greets each connection from its
// 'secureConnection' handler, which Node runs inside SSL_read (the
// handshake completes there): the greeting is a TLS write made inside a
// read on the same thread, and the read goes on to return the request the
// client sent right behind its handshake.
//
//   node tls_greeter.js CERT KEY CONNS
//
// Prints "listening <port>"; for each connection it writes
// "hello <client port>\n", answers the client's line "req <i>\n" with
// "resp <i>\n" and ends it; after CONNS connections it exits.
'use strict';
const fs = require('fs');
const tls = require('tls');

const [cert, key, conns] = process.argv.slice(2);
let closed = 0;
const server = tls.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (s) => {
	s.write(`hello ${s.remotePort}\n`);
	let line = '';
	s.on('data', (d) => {
		line += d;
		const m = line.match(/^req (\d+)\n/);
		if (m)
			s.end(`resp ${m[1]}\n`);
	});
	s.on('error', () => {});
	s.on('close', () => {
		if (++closed >= Number(conns))
			server.close();
	});
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
