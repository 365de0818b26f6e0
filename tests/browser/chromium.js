// Debian's chromium, headless, through playwright-core: how every browser script here starts it.
const path = require('path');
const fs = require('fs');
const os = require('os');
const { chromium } = require('playwright-core');

/**
 * A persistent context in a fresh profile folder (removed again by the caller with
 * `fs.rmSync(userDataDir, ...)` after `context.close()`). `options` override the defaults
 * (a 1280×900 viewport), e.g. `{ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2 }`.
 */
async function launch(options = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bb-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
    viewport: { width: 1280, height: 900 },
    ...options,
  });
  return { context, userDataDir };
}

module.exports = { launch };
