// One HTTPS GET with Node's https module; prints "port N bytes N" (N = the
// local port of the connection and the response body length).
// Usage: node https_get.js PORT PATH
'use strict';
const https = require('https');
const [port, path] = [Number(process.argv[2]), process.argv[3] || '/'];
let lport;
const req = https.get({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false },
  (res) => {
    let n = 0;
    res.on('data', (d) => { n += d.length; });
    res.on('end', () => console.log(`port ${lport} bytes ${n}`));
  });
req.on('socket', (s) => s.on('secureConnect', () => { lport = s.localPort; }));
req.on('error', (e) => { console.error(e.message); process.exit(1); });
