// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against a running
// `benchbook serve`, the way an author meets it:
//
//   node serve-browser.js <page-url> <source-file> <broken-text> <fixed-text> <fixed-marker>
//
// Opens the page, writes <broken-text> into <source-file>: the error overlay must appear with
// the build's error as text (markup in the error is not parsed: no element is created from
// it). Then writes <fixed-text>: the page must reload by itself and show <fixed-marker>, with
// the overlay gone. Prints one JSON object; exit 1 on failure.
'use strict';
const fs = require('fs');
const { chromium } = require('playwright-core');

const [url, source, broken, fixed, marker] = process.argv.slice(2);

(async () => {
  const problems = [];
  const report = { problems };
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    await page.goto(url);
    // The reload channel is open once the server said hello; give it a moment.
    await page.waitForTimeout(500);
    fs.writeFileSync(source, broken);
    const overlay = await page.waitForSelector('#benchbook-serve-error', { timeout: 30000 });
    report.overlay = await overlay.evaluate((el) => el.textContent);
    report.overlayElements = await overlay.evaluate((el) => el.querySelectorAll('*').length);
    if (report.overlayElements !== 0) problems.push('the overlay holds parsed markup');
    report.injected = await page.evaluate(() => document.querySelectorAll('img[src="x"]').length);
    if (report.injected !== 0) problems.push('markup from the error reached the page');

    const reloaded = page.waitForEvent('load', { timeout: 30000 });
    fs.writeFileSync(source, fixed);
    await reloaded;
    await page.waitForFunction((m) => document.body.innerText.includes(m), marker, { timeout: 30000 });
    report.reloaded = true;
    report.overlayAfter = await page.evaluate(() => !!document.getElementById('benchbook-serve-error'));
    if (report.overlayAfter) problems.push('the overlay stayed after the fix');
  } catch (e) {
    problems.push(String(e && e.message ? e.message : e));
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(report) + '\n');
  process.exit(problems.length ? 1 : 0);
})();
