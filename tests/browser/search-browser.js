// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against a built
// site opened from file://.
//
//   node search-browser.js search <site-dir> <start-page> <query> <expected-url-end>
//     Focuses the box with "/", types the query, checks the first result, opens it with
//     ArrowDown + Enter and checks that the browser lands on the expected page and heading.
//     Prints {"ok":true, "index_load_ms", "first_results_ms", ...} as JSON.
//   node search-browser.js timing <site-dir> <start-page> <query>...
//     Loads the index, then times each query from the input event to the results painted.
//   node search-browser.js keystrokes <site-dir> <start-page> <query>...
//     Loads the index, then types each query letter by letter (the box emptied between
//     queries) and times every keystroke from its input event to the results painted (the
//     frame after; headless Chromium draws at 60 Hz, so this includes up to 16.7 ms of
//     waiting for the frame) and to the end of the handler (query run, results in the DOM).
//     BB_REPEAT=n types the whole list n times (default 3). Prints per-keystroke times and,
//     per keystroke position, the median and the maximum over queries and repeats.
//   node search-browser.js print <site-dir>
//     Opens print.html for print media: navigation is hidden, lessons start on new pages.
//
// Any console error, page error or request that leaves the machine fails the run.
'use strict';
const path = require('path');
const fs = require('fs');
const { launch, reportOffline } = require('./chromium');

const [mode, siteDir, ...rest] = process.argv.slice(2);

function fileUrl(p) {
  return 'file://' + path.resolve(p).split(path.sep).map(encodeURIComponent).join('/');
}

async function main() {
  const { context, userDataDir } = await launch({ viewport: { width: 1200, height: 800 } });
  const problems = [];
  const page = context.pages()[0] || (await context.newPage());
  reportOffline(context, page, problems);
  let out;
  try {
    if (mode === 'search') out = await searchMode(page, ...rest);
    else if (mode === 'timing') out = await timingMode(page, ...rest);
    else if (mode === 'keystrokes') out = await keystrokesMode(page, ...rest);
    else if (mode === 'print') out = await printMode(page);
    else throw new Error('unknown mode ' + mode);
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  if (problems.length) throw new Error(problems.join('\n'));
  process.stdout.write(JSON.stringify(out) + '\n');
}

async function openAndLoadIndex(page, start) {
  await page.goto(fileUrl(path.join(siteDir, start)));
  await page.keyboard.press('/');
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
  if (focused !== 'bb-search-input') throw new Error('"/" did not focus the search box (focus: ' + focused + ')');
  const t0 = Date.now();
  await page.waitForFunction(() => window.BENCHBOOK_SEARCH && !/Loading/.test(document.getElementById('bb-search-status').textContent), null, { timeout: 60000 });
  return Date.now() - t0;
}

/* Time from the input event (what a keystroke fires) to the results painted. */
async function timeQuery(page, q) {
  return page.evaluate(async (q) => {
    const input = document.getElementById('bb-search-input');
    input.value = '';
    input.dispatchEvent(new Event('input'));
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const t0 = performance.now();
    input.value = q;
    input.dispatchEvent(new Event('input'));
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const ms = performance.now() - t0;
    const n = document.querySelectorAll('#bb-search-results a').length;
    return { query: q, ms, shown: n, status: document.getElementById('bb-search-status').textContent };
  }, q);
}

async function searchMode(page, start, query, expected) {
  const indexLoadMs = await openAndLoadIndex(page, start);
  // Type like a reader; results follow each keystroke.
  await page.keyboard.type(query, { delay: 20 });
  const timing = await timeQuery(page, query);
  const first = await page.evaluate(() => {
    const a = document.querySelector('#bb-search-results a');
    return a && { href: a.getAttribute('href'), text: a.textContent, mark: !!a.querySelector('mark') };
  });
  if (!first) throw new Error('no result for ' + JSON.stringify(query));
  if (!first.mark) throw new Error('the snippet has no <mark>: ' + first.text);
  const expanded = await page.getAttribute('#bb-search-input', 'aria-expanded');
  if (expanded !== 'true') throw new Error('aria-expanded is ' + expanded);
  await page.keyboard.press('ArrowDown');
  const onLink = await page.evaluate(() => document.activeElement.tagName === 'A' && document.activeElement.closest('#bb-search-results') !== null);
  if (!onLink) throw new Error('ArrowDown did not move to the first result');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  const landed = await page.evaluate(() => {
    const target = document.querySelector(':target');
    return { url: location.href, target: target && target.id, tag: target && target.tagName, text: target && target.textContent };
  });
  if (!decodeURI(landed.url).endsWith(expected)) throw new Error('landed on ' + landed.url + ', expected …' + expected);
  const hash = expected.split('#')[1];
  if (hash && landed.target !== hash) throw new Error('the target element is ' + landed.target + ', expected ' + hash);
  // Escape closes the results.
  await page.keyboard.press('s');
  await page.keyboard.type('kern');
  await page.waitForFunction(() => !document.querySelector('.bb-search-panel').hidden);
  await page.keyboard.press('Escape');
  const closed = await page.evaluate(() => document.querySelector('.bb-search-panel').hidden);
  if (!closed) throw new Error('Escape did not close the results');
  return { ok: true, index_load_ms: indexLoadMs, first_results_ms: timing.ms, first, landed };
}

async function timingMode(page, start, ...queries) {
  const indexLoadMs = await openAndLoadIndex(page, start);
  const runs = [];
  for (const q of queries) runs.push(await timeQuery(page, q));
  return { ok: true, index_load_ms: indexLoadMs, runs };
}

/* One keystroke: the box holds `q` (one letter more than before), then the input event;
 * the time runs until the frame after it is painted. */
async function timeKeystroke(page, q) {
  return page.evaluate(async (q) => {
    const input = document.getElementById('bb-search-input');
    const t0 = performance.now();
    input.value = q;
    input.dispatchEvent(new Event('input'));
    // The handler has run (query, results written into the DOM); then the next frame.
    const handled = performance.now() - t0;
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    return { ms: performance.now() - t0, handler_ms: handled, shown: document.querySelectorAll('#bb-search-results a').length };
  }, q);
}

async function clearBox(page) {
  await page.evaluate(async () => {
    const input = document.getElementById('bb-search-input');
    input.value = '';
    input.dispatchEvent(new Event('input'));
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  });
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function keystrokesMode(page, start, ...queries) {
  const indexLoadMs = await openAndLoadIndex(page, start);
  const repeat = Number(process.env.BB_REPEAT || 3);
  const runs = [];
  const byPosition = [];
  for (let r = 0; r < repeat; r++) {
    for (const q of queries) {
      await clearBox(page);
      const keys = [];
      for (let i = 1; i <= q.length; i++) {
        const t = await timeKeystroke(page, q.slice(0, i));
        keys.push({ typed: q.slice(0, i), ms: Math.round(t.ms * 10) / 10, handler_ms: Math.round(t.handler_ms * 10) / 10, shown: t.shown });
        (byPosition[i - 1] = byPosition[i - 1] || []).push(t.ms);
      }
      runs.push({ query: q, keys });
    }
  }
  const all = [].concat(...byPosition);
  return {
    ok: true,
    index_load_ms: indexLoadMs,
    per_position: byPosition.map((xs, i) => ({
      letter: i + 1, n: xs.length, median_ms: Math.round(median(xs) * 10) / 10,
      max_ms: Math.round(Math.max(...xs) * 10) / 10,
    })),
    all: { n: all.length, median_ms: Math.round(median(all) * 10) / 10, max_ms: Math.round(Math.max(...all) * 10) / 10 },
    runs,
  };
}

async function printMode(page) {
  await page.goto(fileUrl(path.join(siteDir, 'print.html')));
  await page.emulateMedia({ media: 'print' });
  const r = await page.evaluate(() => {
    const shown = (el) => el && getComputedStyle(el).display !== 'none';
    const pages = Array.from(document.querySelectorAll('.print-page'));
    return {
      nav_hidden: Array.from(document.querySelectorAll('nav')).every((n) => !shown(n)),
      breaks: pages.slice(1).every((p) => getComputedStyle(p).breakBefore === 'page'),
      answers_open: Array.from(document.querySelectorAll('details')).every((d) => d.open),
      pages: pages.length,
    };
  });
  if (!r.nav_hidden) throw new Error('navigation is visible in print');
  if (!r.breaks) throw new Error('lessons do not start on a new page');
  if (!r.answers_open) throw new Error('a quiz answer is closed');
  return Object.assign({ ok: true }, r);
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
