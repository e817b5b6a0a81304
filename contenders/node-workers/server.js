// The article's own advice for CPU work in Node, built: the node-seed server
// (same `http` module, same `url.parse` and `parseInt` parsing, same response)
// with the computation moved to a worker_threads pool. The pool is sized by
// os.availableParallelism(), which follows the CPU affinity the lab pins the
// server to, so it gets one thread per core it was given. The event loop only
// parses, queues and replies, so cheap requests are not stuck behind heavy ones.
'use strict';

const http = require('http');
const os = require('os');
const path = require('path');
const url = require('url');
const { Worker } = require('worker_threads');

const size = Math.max(1, os.availableParallelism());
const idle = [];
const queue = [];
const pending = new Map();
let nextId = 0;

function dispatch() {
  while (idle.length > 0 && queue.length > 0) {
    const worker = idle.pop();
    const task = queue.shift();
    worker.postMessage(task);
  }
}

function spawn() {
  const worker = new Worker(path.join(__dirname, 'worker.js'));
  worker.on('message', ({ id, prime }) => {
    const done = pending.get(id);
    pending.delete(id);
    idle.push(worker);
    dispatch();
    done(prime);
  });
  worker.on('error', (err) => {
    // A worker that dies takes the server down: a benchmark must not quietly
    // continue with a smaller pool.
    console.error('worker failed:', err);
    process.exit(1);
  });
  idle.push(worker);
}

for (let i = 0; i < size; i++) spawn();

function findNthPrimeInPool(n) {
  return new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    queue.push({ id, n });
    dispatch();
  });
}

const server = http.createServer((req, res) => {
  const parsed = url.parse(req.url, true);
  if (parsed.pathname !== '/prime') {
    res.writeHead(404);
    res.end();
    return;
  }
  const n = parseInt(parsed.query.n || '10000');
  findNthPrimeInPool(n).then((prime) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ n, prime }));
  });
});

const host = process.env.HOST || '127.0.0.1';
const port = parseInt(process.env.PORT || '3000', 10);
server.listen(port, host, () => {
  console.log(`node-workers listening on http://${host}:${port} with ${size} worker threads`);
});
