// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core): the reader's
// details of issue 15, measured on a built site.
//
//   node reader-browser.js header <site-dir> <page>...
//     Each page from file:// at 375 px and 320 px wide: the height of the site header and
//     how many rows its visible items (menu, title, search, theme button) take.
//   node reader-browser.js cls <site-dir> <page>...
//     Each page from file:// on a 375 px phone in the light and the dark colour scheme, and
//     at 1280 px in the light one:
//     the sum of the layout shifts (PerformanceObserver, `layout-shift` entries without
//     recent input, buffered from the start) until 1.5 s after load.
//   node reader-browser.js series <site-dir> <page>...
//     Every line chart drawn at the current width (desktop 1280 px, then phone 375 px):
//     for each series, how many of its markers are on top at their centre (not covered by
//     another series), and whether the legend shows a marker for a series that has none.
//   node reader-browser.js printbreaks <site-dir>
//     print.html with print media: every element that may not break inside
//     (`break-inside: avoid`) and is taller than half a printed page (such a block, pushed
//     to the next page, leaves more than half of this one blank), and every forced page
//     break that is not between two lessons.
//
// Prints one JSON object; exit 1 if a page cannot be opened or a page error occurs (the
// limits are the Rust tests' to judge).
'use strict';
const path = require('path');
const fs = require('fs');
const { launch } = require('./chromium');

const [mode, siteDir, ...pages] = process.argv.slice(2);

function fileUrl(p) {
  return 'file://' + path.resolve(p).split(path.sep).map(encodeURIComponent).join('/');
}

async function withPage(options, body) {
  const { context, userDataDir } = await launch(options);
  const errors = [];
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on('pageerror', (e) => errors.push('page error: ' + e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push('console error: ' + m.text()); });
    const out = await body(page);
    return { out, errors };
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

/** Runs in the page: the header's height and the rows its visible items take. */
function measureHeader() {
  const h = document.querySelector('.site-header');
  const items = Array.from(h.querySelectorAll('.nav-toggle, .site-title, .header-search, [data-bb-search], .theme-toggle'))
    .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden');
  const rows = [];
  for (const el of items) {
    const r = el.getBoundingClientRect();
    // Items whose vertical extents overlap share a row.
    const row = rows.find((o) => r.top < o.bottom - 2 && r.bottom > o.top + 2);
    if (row) { row.top = Math.min(row.top, r.top); row.bottom = Math.max(row.bottom, r.bottom); row.items.push(el.className); }
    else rows.push({ top: r.top, bottom: r.bottom, items: [el.className] });
  }
  return {
    height: Math.round(h.getBoundingClientRect().height * 10) / 10,
    rows: rows.length,
    items: rows.map((r) => r.items.join(' + ')),
    viewportHeight: window.innerHeight,
  };
}

async function headerMode() {
  const report = { pages: [] };
  for (const width of [375, 320]) {
    const { out, errors } = await withPage({ viewport: { width, height: 812 } }, async (page) => {
      const res = [];
      for (const p of pages) {
        await page.goto(fileUrl(path.join(siteDir, p)));
        await page.waitForLoadState('load');
        res.push({ page: p, width, ...(await page.evaluate(measureHeader)) });
      }
      return res;
    });
    report.pages.push(...out);
    if (errors.length) report.errors = (report.errors || []).concat(errors);
  }
  report.maxHeight = Math.max(...report.pages.map((p) => p.height));
  report.maxRows = Math.max(...report.pages.map((p) => p.rows));
  return report;
}

async function clsMode() {
  const report = { pages: [] };
  for (const [scheme, width] of [['light', 375], ['dark', 375], ['light', 1280]]) {
    const { out, errors } = await withPage({ viewport: { width, height: width < 800 ? 812 : 900 }, deviceScaleFactor: 2, colorScheme: scheme }, async (page) => {
      // Installed before any script of the page runs; `buffered` also reports shifts
      // that happened before the observer existed.
      await page.addInitScript(() => {
        window.__bbShifts = [];
        try {
          new PerformanceObserver((list) => {
            for (const e of list.getEntries()) {
              if (!e.hadRecentInput) {
                window.__bbShifts.push({
                  value: e.value,
                  sources: (e.sources || []).map((s) => s.node ? (s.node.nodeName + '.' + (s.node.className || '')) : '?'),
                });
              }
            }
          }).observe({ type: 'layout-shift', buffered: true });
        } catch (e) { window.__bbShifts = null; }
      });
      const res = [];
      for (const p of pages) {
        await page.goto(fileUrl(path.join(siteDir, p)));
        await page.waitForLoadState('load');
        await page.waitForTimeout(1500);
        const shifts = await page.evaluate(() => window.__bbShifts);
        if (shifts === null) throw new Error('no layout-shift support in this browser');
        const sum = shifts.reduce((s, e) => s + e.value, 0);
        res.push({ page: p, scheme, width, cls: Math.round(sum * 10000) / 10000, shifts: shifts.slice(0, 5) });
      }
      return res;
    });
    report.pages.push(...out);
    if (errors.length) report.errors = (report.errors || []).concat(errors);
  }
  report.maxCls = Math.max(...report.pages.map((p) => p.cls));
  return report;
}

/** Runs in the page: for every visible line chart, each series' markers on top. */
function measureSeries() {
  const out = [];
  for (const fig of document.querySelectorAll('figure.bb-chart')) {
    const svg = Array.from(fig.querySelectorAll(':scope > svg')).find((s) => s.getClientRects().length);
    if (!svg) continue;
    const lines = Array.from(svg.querySelectorAll('g.bb-line'));
    if (lines.length < 2) continue;
    // A series' markers: in its line's group, or in a group of their own drawn later.
    const marksOf = Array.from(svg.querySelectorAll('g.bb-line-marks'));
    fig.scrollIntoView({ block: 'center', behavior: 'instant' });
    const legend = svg.querySelector('.bb-chart-legend');
    const legendMarkers = legend ? legend.querySelectorAll('circle, rect, path').length : 0;
    const series = lines.map((g, i) => {
      const own = marksOf.length === lines.length ? marksOf[i] : g;
      const marks = Array.from(own.querySelectorAll('circle, rect, path'));
      let onTop = 0;
      for (const m of marks) {
        const r = m.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        if (hit && own.contains(hit)) onTop++;
      }
      const title = g.querySelector('title');
      return { label: title ? title.textContent : '?', markers: marks.length, onTop, dashed: !!g.querySelector('polyline[stroke-dasharray]') };
    });
    const note = fig.querySelector('.bb-chart-note');
    out.push({
      id: fig.id, svg: svg.id, series, legendMarkers,
      seriesWithMarkers: series.filter((s) => s.markers > 0).length,
      note: note ? note.textContent.trim() : null,
    });
  }
  return out;
}

async function seriesMode() {
  const report = { charts: [] };
  for (const width of [1280, 375]) {
    const { out, errors } = await withPage({ viewport: { width, height: 900 } }, async (page) => {
      const res = [];
      for (const p of pages) {
        await page.goto(fileUrl(path.join(siteDir, p)));
        for (const c of await page.evaluate(measureSeries)) res.push({ page: p, width, ...c });
      }
      return res;
    });
    report.charts.push(...out);
    if (errors.length) report.errors = (report.errors || []).concat(errors);
  }
  return report;
}

async function printBreaksMode() {
  const { out, errors } = await withPage({ viewport: { width: 800, height: 1000 } }, async (page) => {
    await page.goto(fileUrl(path.join(siteDir, 'print.html')));
    await page.emulateMedia({ media: 'print' });
    return page.evaluate(() => {
      // A4 at 96 px per inch less 2 cm margins: about 1000 px of height per page.
      const pageHeight = 1000;
      const big = [];
      let avoided = 0;
      for (const el of document.querySelectorAll('body *')) {
        const cs = getComputedStyle(el);
        if (cs.breakInside !== 'avoid' && cs.breakInside !== 'avoid-page') continue;
        if (!el.getClientRects().length) continue;
        avoided++;
        const h = el.getBoundingClientRect().height;
        if (h > pageHeight / 2) {
          big.push({ el: el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : ''), height: Math.round(h) });
        }
      }
      const forced = Array.from(document.querySelectorAll('body *'))
        .filter((el) => ['page', 'always', 'left', 'right'].includes(getComputedStyle(el).breakBefore))
        .map((el) => el.tagName.toLowerCase() + '.' + String(el.className));
      return { avoided, big: big.slice(0, 20), bigCount: big.length, forcedBreaks: forced.length, forcedNotLessons: forced.filter((f) => !/print-page/.test(f)) };
    });
  });
  return { ...out, errors };
}

async function main() {
  if (!siteDir) {
    console.error('usage: node reader-browser.js header|cls|series|printbreaks <site-dir> [page...]');
    process.exit(2);
  }
  let report;
  if (mode === 'header') report = await headerMode();
  else if (mode === 'cls') report = await clsMode();
  else if (mode === 'series') report = await seriesMode();
  else if (mode === 'printbreaks') report = await printBreaksMode();
  else throw new Error('unknown mode ' + mode);
  process.stdout.write(JSON.stringify(report) + '\n');
  if (report.errors && report.errors.length) process.exit(1);
}

main().catch((e) => { console.error(e); process.exit(1); });
