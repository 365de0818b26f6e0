// Debian's chromium, headless, through playwright-core: how every browser script here starts it,
// and the checks several of them make on a page.
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

/**
 * Record in `problems` every request that leaves the machine (anything but file: and data:),
 * every console error and every uncaught page error of `page` (opened from disk).
 */
function reportOffline(context, page, problems) {
  context.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith('file:') && !u.startsWith('data:')) problems.push('request off the machine: ' + u);
  });
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console error: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
}

/** The page's scroll width against the viewport, and the outermost elements that stick out. */
async function overflow(page) {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const wide = [];
    if (document.documentElement.scrollWidth > vw) {
      for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect();
        if (r.right > vw + 0.5 && getComputedStyle(el).position !== 'fixed') {
          // Only report the outermost offenders.
          if (!wide.some((w) => w.el.contains(el))) wide.push({ el, desc: el.tagName.toLowerCase() + '.' + el.className + ' right=' + Math.round(r.right) });
        }
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, vw, wide: wide.map((w) => w.desc).slice(0, 5) };
  });
}

module.exports = { launch, reportOffline, overflow };
