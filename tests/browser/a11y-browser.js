// The reading experience of a built site, measured in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core) with axe-core injected from node_modules.
//
//   node a11y-browser.js file <site-dir> <page>...
//     Opens every page from file://.
//   node a11y-browser.js served <site-dir> <page>...
//     Serves the site under /my-repo/ on 127.0.0.1 (GitHub Pages-like: 404.html with status
//     404 for any missing path) and opens every page there, then a missing URL three levels
//     deep, which must show the styled 404 page with links to the site root.
//   [--screenshots DIR] after the mode's arguments saves screenshots there.
//
// On every page:
//   - axe-core (WCAG 2.x A/AA and best-practice rules) in the light and in the dark colour
//     scheme and on a 375 px phone, with every <details> (quiz answers, chart data) open;
//     any violation of critical or serious impact fails;
//     the search box, when the page has one, is also checked with its results open;
//   - at 375 px nothing is wider than the viewport;
//   - the dark colour scheme of the system (prefers-color-scheme) changes the colours;
//   - print media hides the navigation (header, sidebar, pager, search, skip link).
// Any console error, page error, or request that leaves the machine fails the run.
// Prints one JSON object; exit 1 on failure.
'use strict';
const path = require('path');
const fs = require('fs');
const http = require('http');
const chromium = require('./chromium');
const { overflow } = chromium;

const AXE = require.resolve('axe-core/axe.min.js');
const PREFIX = '/my-repo/';

let args = process.argv.slice(2);
let shots = null;
const si = args.indexOf('--screenshots');
if (si >= 0) {
  shots = args[si + 1];
  args = args.slice(0, si).concat(args.slice(si + 2));
  fs.mkdirSync(shots, { recursive: true });
}
const [mode, siteDir, ...pages] = args;
const root = path.resolve(siteDir || '.');

function fileUrl(p) {
  return 'file://' + path.resolve(p).split(path.sep).map(encodeURIComponent).join('/');
}

/// Serves `root` under /my-repo/ like GitHub Pages: 404.html (status 404) for anything missing.
function serve() {
  const types = {
    '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript',
    '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.xml': 'application/xml',
  };
  const server = http.createServer((req, res) => {
    let u;
    try {
      u = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch (e) {
      u = '';
    }
    let file = null;
    if (u.startsWith(PREFIX)) {
      let rel = u.slice(PREFIX.length);
      if (rel === '' || rel.endsWith('/')) rel += 'index.html';
      const f = path.join(root, rel);
      if (f.startsWith(root + path.sep) && fs.existsSync(f) && fs.statSync(f).isFile()) file = f;
    }
    if (file) {
      res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
      res.end(fs.readFileSync(file));
    } else {
      res.writeHead(404, { 'content-type': types['.html'] });
      res.end(fs.readFileSync(path.join(root, '404.html')));
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function launch(problems) {
  const { context, userDataDir } = await chromium.launch();
  const state = { where: '', expect404: false };
  context.on('request', (req) => {
    const u = req.url();
    const local = u.startsWith('file:') || u.startsWith('data:') || u.startsWith('about:')
      || u.startsWith('http://127.0.0.1:');
    if (!local) problems.push(`${state.where}: request off the machine: ${u}`);
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // The missing page itself answers 404: that one is expected, nothing else.
    if (state.expect404 && /status of 404/.test(m.text())) return;
    problems.push(`${state.where}: console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${state.where}: page error: ${e.message}`));
  return { context, page, state, userDataDir };
}

/// Runs axe-core on the current page; returns the violations as plain data.
async function axe(page, include) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.addScriptTag({ path: AXE });
  }
  return page.evaluate(async (include) => {
    const r = await window.axe.run(include ? { include: [include] } : document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
      // axe would re-read the stylesheets with XMLHttpRequest, which file:// refuses (a
      // console error of the tool, not of the page); the rules it feeds (orientation lock)
      // do not apply to this theme's CSS.
      preload: false,
    });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 4).map((n) => ({ target: n.target.join(' '), summary: (n.failureSummary || '').split('\n').slice(0, 3).join(' ') })),
      count: v.nodes.length,
    }));
  }, include || null);
}

function record(report, problems, where, violations) {
  for (const v of violations) {
    const line = `${where}: axe ${v.impact} ${v.id} (${v.count}×): ${v.help}: ` +
      v.nodes.map((n) => `${n.target} [${n.summary}]`).join('; ');
    if (v.impact === 'critical' || v.impact === 'serious') problems.push(line);
    else report.minor.push(line);
  }
}

/// Opens every quiz answer and pitfall so that axe sees (and checks the contrast of) them.
async function openDetails(page) {
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
}


/// The colours the reader sees: body background and text.
function colours(page) {
  return page.evaluate(() => {
    const s = getComputedStyle(document.body);
    return { bg: s.backgroundColor, fg: s.color };
  });
}

/// Navigation that print must hide: whichever of these the page has.
const NAV = ['.site-header', '.sidebar', 'nav', '.pager', '.skip-link', '.nav-toggle', '.theme-toggle',
  '[data-bb-search]', '.bb-search', '.page-toc', '.toc'];

async function checkPage(page, state, url, name, report, problems) {
  state.where = name;
  // Light, desktop: axe with every <details> open.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ media: 'screen', colorScheme: 'light' });
  const resp = await page.goto(url);
  if (resp && resp.status && resp.status() >= 400 && !state.expect404) problems.push(`${name}: status ${resp.status()}`);
  await openDetails(page);
  const light = await colours(page);
  record(report, problems, `${name} (light)`, await axe(page));
  if (shots) await page.screenshot({ path: path.join(shots, `${shotName(name)}-1280-light.png`), fullPage: true });

  // Dark from the system setting, same page: colours change, and axe again (contrast).
  await page.emulateMedia({ media: 'screen', colorScheme: 'dark' });
  const dark = await colours(page);
  if (light.bg === dark.bg || light.fg === dark.fg) {
    problems.push(`${name}: prefers-color-scheme: dark does not change the colours (${JSON.stringify({ light, dark })})`);
  }
  record(report, problems, `${name} (dark)`, await axe(page));
  if (shots) await page.screenshot({ path: path.join(shots, `${shotName(name)}-1280-dark.png`), fullPage: true });

  // The search box with its results open, when the page has one.
  const box = page.locator('input[type="search"]').first();
  if (await box.count() && await box.isVisible()) {
    // A word of the page's own text, so that the index has it (a page may opt out of
    // search: then try the next word, and give up quietly after a few).
    const words = await page.evaluate(() => {
      const text = [...document.querySelectorAll('main h1, main p')].map((e) => e.textContent).join(' ');
      return [...new Set(text.match(/[A-Za-z]{5,}/g) || [])].slice(0, 4);
    });
    const results = page.locator('.bb-search-results a').first();
    let found = null;
    for (const word of words) {
      await box.fill(word);
      try {
        await results.waitFor({ state: 'visible', timeout: 3000 });
        found = word;
        break;
      } catch (e) { /* next word */ }
    }
    if (found) {
      // The rest of the page was checked above; here the open search box itself (the
      // panel covers part of the page, which axe would count against the covered links).
      report.searched += 1;
      await page.emulateMedia({ media: 'screen', colorScheme: 'light' });
      record(report, problems, `${name} (search for "${found}" open, light)`, await axe(page, '.bb-search'));
      await page.emulateMedia({ media: 'screen', colorScheme: 'dark' });
      record(report, problems, `${name} (search for "${found}" open, dark)`, await axe(page, '.bb-search'));
      if (shots) await page.screenshot({ path: path.join(shots, `${shotName(name)}-search.png`) });
    }
    await page.keyboard.press('Escape');
  }

  // Phone: nothing wider than 375 px, light and dark.
  await page.setViewportSize({ width: 375, height: 800 });
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ media: 'screen', colorScheme: scheme });
    await page.goto(url);
    const o = await overflow(page);
    if (o.scrollWidth > o.vw) problems.push(`${name} at 375px (${scheme}): page is ${o.scrollWidth}px wide: ${o.wide.join('; ')}`);
    // On a phone wide tables and code scroll inside their boxes: axe checks those boxes
    // are reachable by keyboard, and the touch targets.
    if (scheme === 'light') {
      await openDetails(page);
      await page.evaluate(() => window.dispatchEvent(new Event('resize')));
      record(report, problems, `${name} (375px)`, await axe(page));
    }
    if (shots) await page.screenshot({ path: path.join(shots, `${shotName(name)}-375-${scheme}.png`), fullPage: true });
  }

  // Print: the navigation is hidden.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ media: 'print', colorScheme: 'light' });
  await page.goto(url);
  const printed = await page.evaluate((sels) => sels
    .filter((s) => [...document.querySelectorAll(s)].some((e) => e.getClientRects().length > 0
      && getComputedStyle(e).visibility !== 'hidden'))
    // The 404 page's list of pages is its content, not navigation.
    .filter((s) => !(s === 'nav' && document.querySelectorAll('nav:not(.not-found-nav)').length === 0
      && document.querySelector('.not-found-nav'))), NAV);
  if (printed.length) problems.push(`${name}: navigation printed: ${printed.join(', ')}`);
  await page.emulateMedia({ media: 'screen', colorScheme: 'light' });
  report.pages.push(name);
}

function shotName(name) {
  return name.replace(/^\/+/, '').replace(/[\/.:]/g, '_');
}

/// The 404 page for a missing URL several levels deep under the sub-path: status 404,
/// styled (the theme's stylesheet applies), every link inside the site root and working.
async function notFound(page, state, base, report, problems) {
  const url = `${base}a/b/c/missing.html`;
  state.expect404 = true;
  await checkPage(page, state, url, 'missing URL a/b/c/missing.html', report, problems);
  const resp = await page.goto(url);
  if (resp.status() !== 404) problems.push(`missing URL: status ${resp.status()}`);
  // The page's script finds the site root (it may ask its host once) and marks it.
  await page.waitForFunction(() => document.documentElement.hasAttribute('data-bb-root'), null, { timeout: 10000 })
    .catch(() => problems.push('missing URL: the 404 page never found the site root'));
  const info = await page.evaluate(() => ({
    styled: getComputedStyle(document.querySelector('.site-header') || document.body).borderBottomStyle === 'solid',
    links: [...document.querySelectorAll('a[href]')].map((a) => a.href).filter((h) => !h.includes('#')),
  }));
  state.expect404 = false;
  if (!info.styled) problems.push('missing URL: the 404 page is not styled');
  for (const l of info.links) {
    if (!l.startsWith(base) || l.slice(base.length).startsWith('a/')) {
      problems.push(`missing URL: link ${l} is not under ${base}`);
      continue;
    }
    const r = await page.request.get(l);
    if (r.status() !== 200) problems.push(`missing URL: link ${l} gives ${r.status()}`);
  }
  report.notFoundLinks = info.links.length;
  if (info.links.length === 0) problems.push('missing URL: the 404 page has no links');
}

async function main() {
  const problems = [];
  const report = { mode, pages: [], searched: 0, minor: [] };
  if (mode !== 'file' && mode !== 'served') {
    console.error('usage: node a11y-browser.js file|served <site-dir> <page>... [--screenshots DIR]');
    process.exit(2);
  }
  const { context, page, state, userDataDir } = await launch(problems);
  let server = null;
  try {
    let base;
    if (mode === 'served') {
      server = await serve();
      base = `http://127.0.0.1:${server.address().port}${PREFIX}`;
    }
    for (const p of pages) {
      const url = mode === 'served' ? base + p.split('/').map(encodeURIComponent).join('/') : fileUrl(path.join(root, p));
      await checkPage(page, state, url, p, report, problems);
    }
    if (mode === 'served') await notFound(page, state, base, report, problems);
  } catch (e) {
    problems.push(`${state.where}: exception: ${(e && e.stack) || e}`);
  } finally {
    await context.close();
    if (server) server.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  report.ok = problems.length === 0;
  report.problems = problems;
  process.stdout.write(JSON.stringify(report) + '\n');
  process.exit(report.ok ? 0 : 1);
}

main();
