'use strict';
// Headless Chromium (Debian's chromium, driven by playwright-core) and the Jaeger UI bundle the
// browser tests serve.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const CHROMIUM = process.env.SPANVAULT_CHROMIUM || '/usr/bin/chromium';

// The Jaeger UI bundle: ../shared/jaeger-ui beside the project, else $SPANVAULT_UI_DIR.
function uiDir() {
  const inRepo = path.resolve(__dirname, '../../../../shared/jaeger-ui');
  if (fs.existsSync(path.join(inRepo, 'index.html'))) return inRepo;
  const fromEnv = process.env.SPANVAULT_UI_DIR;
  if (fromEnv && fs.existsSync(path.join(fromEnv, 'index.html'))) return fromEnv;
  throw new Error(`no Jaeger UI bundle: neither ${inRepo} nor SPANVAULT_UI_DIR ` +
                  `(${fromEnv || 'unset'}) holds an index.html`);
}

// A headless Chromium; the caller closes it.
async function launchChromium() {
  assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (set SPANVAULT_CHROMIUM)`);
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

module.exports = { uiDir, launchChromium };
