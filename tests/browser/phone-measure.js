// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core): how measured
// tables and charts read on a phone. A measuring tool for people, not a test: it prints what
// it finds and fails only when a page cannot be opened.
//
//   node phone-measure.js <site-dir> [--width 375] [--height 812] [--screenshots DIR] [page...]
//
// Opens every HTML page of the site (or the pages given, relative to the site) from file://
// at the given viewport and reports, per page:
//   - charts: for every figure.bb-chart, the smallest and largest rendered size of its SVG
//     text in CSS px (computed font-size × the scale of the text's screen CTM), and which
//     label is the smallest;
//   - boxes: every table wrapper (.bb-table-wrap, .table-wrap, .bb-probes, a table that
//     scrolls by itself) with scrollWidth/clientWidth, with every <details> closed and open;
//   - the page's own scrollWidth.
// With --screenshots, saves each page measured as screen-sized slices (NAME-00.png, …).
// Prints one JSON object (a summary first, then the pages).
'use strict';
const path = require('path');
const fs = require('fs');
const { launch } = require('./chromium');

let args = process.argv.slice(2);
function option(name, dflt) {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args = args.slice(0, i).concat(args.slice(i + 2));
  return v;
}
const width = Number(option('--width', '375'));
const height = Number(option('--height', '812'));
const shots = option('--screenshots', null);
const [siteDir, ...only] = args;
if (!siteDir) {
  console.error('usage: node phone-measure.js <site-dir> [--width W] [--height H] [--screenshots DIR] [page...]');
  process.exit(2);
}
if (shots) fs.mkdirSync(shots, { recursive: true });

function fileUrl(p) {
  return 'file://' + path.resolve(p).split(path.sep).map(encodeURIComponent).join('/');
}

function htmlFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...htmlFiles(p));
    else if (e.name.endsWith('.html') && e.name !== 'print.html') out.push(p);
  }
  return out.sort();
}

/** Runs in the page: the smallest and largest rendered text of every chart. */
function measureCharts() {
  return Array.from(document.querySelectorAll('figure.bb-chart')).map((fig) => {
    // The drawing the reader sees (a figure may hold a desktop and a phone drawing).
    const svg = Array.from(fig.querySelectorAll('svg')).find((s) => s.getClientRects().length) || null;
    const title = (svg && svg.querySelector('title') || {}).textContent || fig.id;
    let min = null;
    let max = null;
    for (const t of svg ? svg.querySelectorAll('text') : []) {
      if (!t.textContent.trim()) continue;
      const ctm = t.getScreenCTM();
      if (!ctm) continue;
      const scale = Math.hypot(ctm.a, ctm.b);
      const px = parseFloat(getComputedStyle(t).fontSize) * scale;
      if (!min || px < min.px) min = { px, text: t.textContent.trim().slice(0, 40) };
      if (!max || px > max.px) max = { px, text: t.textContent.trim().slice(0, 40) };
    }
    const r = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    return {
      id: fig.id, title, visible: svg ? (svg.getAttribute('class') || 'svg') : 'none', svgWidth: Math.round(r.width), svgHeight: Math.round(r.height),
      figureScroll: [fig.scrollWidth, fig.clientWidth],
      minPx: min && +min.px.toFixed(2), minText: min && min.text,
      maxPx: max && +max.px.toFixed(2),
    };
  });
}

/** Runs in the page: every box that holds a table, and whether it scrolls sideways. */
function measureBoxes() {
  const boxes = new Set(document.querySelectorAll('main .bb-table-wrap, main .table-wrap, main .bb-probes'));
  for (const t of document.querySelectorAll('main table')) {
    if (!t.closest('.bb-table-wrap, .table-wrap, .bb-probes')) boxes.add(t);
  }
  return Array.from(boxes).filter((b) => b.getClientRects().length).map((b) => {
    const cap = b.querySelector('caption');
    return {
      cls: (b.className || b.tagName).toString(),
      caption: cap ? cap.textContent.trim().slice(0, 60) : '',
      scrollWidth: b.scrollWidth, clientWidth: b.clientWidth,
      overflow: b.scrollWidth - b.clientWidth,
      tabindex: b.getAttribute('tabindex'), role: b.getAttribute('role'),
    };
  });
}

async function main() {
  const pages = only.length ? only.map((p) => path.join(siteDir, p)) : htmlFiles(siteDir);
  const { context, userDataDir } = await launch({ viewport: { width, height }, deviceScaleFactor: 2 });
  const page = context.pages()[0] || (await context.newPage());
  const report = { width, height, pages: [] };
  try {
    for (const file of pages) {
      const href = path.relative(siteDir, file);
      await page.goto(fileUrl(file));
      const charts = await page.evaluate(measureCharts);
      const boxesClosed = await page.evaluate(measureBoxes);
      if (shots) {
        // Screen-sized slices of the whole page, as a reader scrolls through it.
        const total = await page.evaluate(() => document.documentElement.scrollHeight);
        const name = href.replace(/[\/.]/g, '_');
        for (let k = 0, y = 0; y < total; k++, y += height) {
          const clip = { x: 0, y, width, height: Math.min(height, total - y) };
          await page.screenshot({ path: path.join(shots, `${name}-${String(k).padStart(2, '0')}.png`), clip, fullPage: true });
        }
      }
      await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
      const boxesOpen = await page.evaluate(measureBoxes);
      const pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      report.pages.push({ href, pageWidth, charts, boxes: boxesClosed, boxesWithDetailsOpen: boxesOpen });
    }
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  const allCharts = report.pages.flatMap((p) => p.charts.map((c) => ({ ...c, href: p.href })));
  const minChart = allCharts.filter((c) => c.minPx).sort((a, b) => a.minPx - b.minPx)[0] || null;
  const widest = (key) => report.pages.flatMap((p) => p[key].map((b) => ({ ...b, href: p.href })))
    .sort((a, b) => b.overflow - a.overflow)[0] || null;
  const scrolling = (key) => report.pages.reduce((n, p) => n + p[key].filter((b) => b.overflow > 1).length, 0);
  report.summary = {
    charts: allCharts.length,
    minChartFontPx: minChart && { px: minChart.minPx, text: minChart.minText, chart: minChart.title, href: minChart.href },
    chartsBelow11px: allCharts.filter((c) => c.minPx < 11).length,
    boxes: report.pages.reduce((n, p) => n + p.boxes.length, 0),
    boxesThatScroll: scrolling('boxes'),
    widestOverflow: widest('boxes'),
    boxesThatScrollWithDetailsOpen: scrolling('boxesWithDetailsOpen'),
    widestOverflowWithDetailsOpen: widest('boxesWithDetailsOpen'),
    widestPage: Math.max(...report.pages.map((p) => p.pageWidth)),
  };
  const { summary, ...rest } = report;
  process.stdout.write(JSON.stringify({ summary, ...rest }, null, 1) + '\n');
}

main().catch((e) => { console.error(e); process.exit(1); });
