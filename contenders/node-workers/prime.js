// The article's trial division, unchanged (docs/ARTICLE-SERVERS.md), shared by the
// worker threads.
'use strict';

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

module.exports = { findNthPrime };
