'use strict';
// deploy/demo/run from the e2e tests: runs the order pipeline (a private RabbitMQ node and the
// four instrumented Node services) to its end against a spanvault.

const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const DEMO = path.join(__dirname, '..', '..', '..', 'deploy', 'demo', 'run');

// Runs the demo with `args` and resolves with {code, signal, output}; rejects when it does not
// end within `timeoutMs` (after SIGTERM) or cannot start.
function runDemo(args, timeoutMs) {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(DEMO, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`deploy/demo/run did not finish within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

// The ground truth the demo wrote, one record per order.
function readGroundTruth(file) {
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

module.exports = { runDemo, readGroundTruth };
