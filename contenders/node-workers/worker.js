// One pool thread: receives {id, n}, answers {id, prime}.
'use strict';

const { parentPort } = require('worker_threads');
const { findNthPrime } = require('./prime');

parentPort.on('message', ({ id, n }) => {
  parentPort.postMessage({ id, prime: findNthPrime(n) });
});
