// The article's Node.js server, as docs/ARTICLE-SERVERS.md describes it: the `http`
// module, legacy `url.parse`, `parseInt(query.n || '10000')` and the
// trial-division loop inline in the handler. It blocks the event loop: that is
// the point of this contender. Only HOST/PORT come from the environment.
'use strict';

const http = require('http');
const url = require('url');

function isPrime(num) {
  const s = Math.floor(Math.sqrt(num));
  for (let i = 2; i <= s; i++) {
    if (num % i === 0) return false;
  }
  return num > 1;
}

function findNthPrime(n) {
  let count = 0;
  let num = 2;
  while (count < n) {
    if (isPrime(num)) count++;
    num++;
  }
  return num - 1;
}

const server = http.createServer((req, res) => {
  const parsed = url.parse(req.url, true);
  if (parsed.pathname !== '/prime') {
    res.writeHead(404);
    res.end();
    return;
  }
  const n = parseInt(parsed.query.n || '10000');
  const prime = findNthPrime(n);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ n, prime }));
});

const host = process.env.HOST || '127.0.0.1';
const port = parseInt(process.env.PORT || '3000', 10);
server.listen(port, host, () => {
  console.log(`node-seed listening on http://${host}:${port}`);
});
