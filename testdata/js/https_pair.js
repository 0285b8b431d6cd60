// An HTTPS server and an HTTPS client with a keep-alive agent in ONE Node
// process (memory-BIO TLS on both sides), for tlstap's ciphertext
// attribution tests.  Every request names its connection:
//   GET /req/<i>  ->  body "resp <i>"
// and each side prints what the truth of the connection was:
//   client <i> lport <L> rport <R>      (the client socket of request i)
//   server <i> lport <L> rport <R>      (the server socket that answered it)
// Phases: --phases N1,N2,... requests each, with a line read from stdin
// between two phases (--before N --after M is --phases N,M; --wait-stdin
// reads the line, else phases follow at once); the connections of the first
// phase stay open throughout.
// --timing prints "phase <k> requests <n> ns <t>" once phase k is over (for
// benchmarks).
// Usage: node https_pair.js --cert C --key K [--conns N]
//        [--phases N1,N2,... | --before N --after N] [--wait-stdin] [--timing]
'use strict';
const fs = require('fs');
const https = require('https');
const readline = require('readline');

function args() {
  const a = { conns: 8, before: 0, after: 100, phases: null, waitStdin: false, timing: false,
    cert: '', key: '' };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i++) {
    switch (v[i]) {
      case '--cert': a.cert = v[++i]; break;
      case '--key': a.key = v[++i]; break;
      case '--conns': a.conns = Number(v[++i]); break;
      case '--before': a.before = Number(v[++i]); break;
      case '--after': a.after = Number(v[++i]); break;
      case '--phases': a.phases = v[++i].split(',').map(Number); break;
      case '--wait-stdin': a.waitStdin = true; break;
      case '--timing': a.timing = true; break;
      default: throw new Error(`unknown argument ${v[i]}`);
    }
  }
  if (!a.phases) a.phases = [a.before, a.after];
  return a;
}

const o = args();
const out = [];
const say = (line) => out.push(line);

const server = https.createServer({ cert: fs.readFileSync(o.cert), key: fs.readFileSync(o.key) },
  (req, res) => {
    const i = req.url.split('/').pop();
    say(`server ${i} lport ${req.socket.localPort} rport ${req.socket.remotePort}`);
    res.end(`resp ${i}`);
  });
server.keepAliveTimeout = 600000;

const agent = new https.Agent({ keepAlive: true, maxSockets: o.conns, rejectUnauthorized: false });

function get(port, i) {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: `/req/${i}`, agent }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        if (body !== `resp ${i}`) return reject(new Error(`request ${i}: body ${body}`));
        say(`client ${i} lport ${req.socket.localPort} rport ${req.socket.remotePort}`);
        resolve();
      });
    });
    req.on('error', reject);
  });
}

// n requests, o.conns at a time.
async function phase(port, first, n) {
  let next = first;
  const worker = async () => {
    while (next < first + n) await get(port, next++);
  };
  await Promise.all(Array.from({ length: o.conns }, worker));
}

function line() {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin });
    rl.once('line', () => { rl.close(); resolve(); });
  });
}

server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  try {
    console.log(`listening ${port} pid ${process.pid}`);
    let first = 0;
    for (let k = 0; k < o.phases.length; k++) {
      if (k > 0 && o.waitStdin) {
        console.log(`waiting ${k}`);
        await line();
      }
      const t0 = process.hrtime.bigint();
      await phase(port, first, o.phases[k]);
      if (o.timing) {
        console.log(`phase ${k} requests ${o.phases[k]} ns ${process.hrtime.bigint() - t0}`);
      }
      first += o.phases[k];
    }
    fs.writeSync(1, out.join('\n') + '\ndone\n');
  } catch (e) {
    console.error(e.message);
    process.exitCode = 1;
  }
  agent.destroy();
  server.close();
});
