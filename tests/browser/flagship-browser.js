// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against the built
// flagship report, opened from file://.
//
//   node flagship-browser.js <site-dir> <screenshot-dir>
//     Starts at index.html and reads the whole report by clicking "next" (navigation works from
//     disk);
//     on each page: every SVG chart and confusion matrix is visible and has a real size; the
//     first quiz whose choices are marked answers when clicked; at 375 px nothing is wider than
//     the viewport and the smallest text of every chart renders at 10 px or more. Saves a
//     screenshot of every page (desktop and phone).
//
// Any console error, page error or request that leaves the machine fails the run. Prints one
// JSON object; exit 1 on failure.
'use strict';
const path = require('path');
const fs = require('fs');
const { launch, reportOffline } = require('./chromium');

const [siteDir, shots] = process.argv.slice(2);
fs.mkdirSync(shots, { recursive: true });

function fileUrl(p) {
  return 'file://' + path.resolve(p).split(path.sep).map(encodeURIComponent).join('/');
}

async function main() {
  const problems = [];
  const { context, userDataDir } = await launch();
  const page = context.pages()[0] || (await context.newPage());
  reportOffline(context, page, problems);

  const report = { pages: [], charts: 0, confusion: 0, quiz: null, minPhoneChartPx: Infinity };
  try {
    await page.goto(fileUrl(path.join(siteDir, 'index.html')));
    // Navigation: the sidebar lists the sections; then read the whole report in order by
    // clicking "next" on every page, as a reader would, from file://.
    const sections = await page.$$eval('nav a[href$=".html"]', (as) => as.length);
    if (sections < 4) problems.push(`the home page's sidebar has only ${sections} links`);
    const seen = new Set();
    for (let step = 0; step < 100; step++) {
      const href = path.relative(path.resolve(siteDir), decodeURIComponent(new URL(page.url()).pathname));
      if (seen.has(href)) { problems.push(`"next" loops back to ${href}`); break; }
      seen.add(href);
      const url = page.url();
      if (!url.startsWith('file:')) problems.push(`${href}: navigated to ${url}`);
      const title = await page.title();
      const name = href.replace(/[\/.]/g, '_');
      // Charts and confusion matrices: exactly one drawing of each is shown (the desktop one
      // here), with a real size.
      const figures = await page.$$eval('figure.bb-chart', (figs) => figs.map((f) => {
        const shown = Array.from(f.querySelectorAll('svg')).filter((s) => s.getClientRects().length);
        const s = shown[0] || f.querySelector('svg');
        const r = s.getBoundingClientRect();
        return { shown: shown.length, cls: s.getAttribute('class'), w: r.width, h: r.height, title: (s.querySelector('title') || {}).textContent || '' };
      }));
      for (const f of figures) {
        if (f.shown !== 1) problems.push(`${href}: chart "${f.title}" shows ${f.shown} drawings`);
        if (f.w < 150 || f.h < 80) problems.push(`${href}: chart "${f.title}" is ${f.w}x${f.h}`);
        if (f.cls !== 'bb-chart-wide') problems.push(`${href}: chart "${f.title}" shows ${f.cls} at 1280 px`);
      }
      report.charts += figures.length;
      const confusion = await page.locator('.bb-confusion').count();
      if (confusion) {
        const visible = await page.locator('.bb-confusion').first().isVisible();
        if (!visible) problems.push(`${href}: confusion matrix not visible`);
        report.confusion += confusion;
      }
      const failed = await page.locator('.bb-failed').count();
      if (failed) problems.push(`${href}: ${failed} "measurement failed" boxes`);
      await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
      // Phone: nothing wider than the viewport.
      await page.setViewportSize({ width: 375, height: 800 });
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      if (wide > 375) problems.push(`${href}: ${wide}px wide on a 375px phone`);
      // Chart text stays legible on the phone: the smallest label of the drawing shown
      // renders at 10 CSS px or more (font size × the scale of its screen transform).
      const phoneCharts = await page.$$eval('figure.bb-chart', (figs) => figs.map((f) => {
        const s = Array.from(f.querySelectorAll('svg')).find((x) => x.getClientRects().length);
        if (!s) return { title: f.id, px: 0, text: 'no drawing shown' };
        let min = { px: Infinity, text: '' };
        for (const t of s.querySelectorAll('text')) {
          const m = t.getScreenCTM();
          if (!t.textContent.trim() || !m) continue;
          const px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
          if (px < min.px) min = { px, text: t.textContent.trim() };
        }
        return { title: (s.querySelector('title') || {}).textContent || f.id, ...min };
      }));
      for (const c of phoneCharts) {
        if (!(c.px >= 10)) problems.push(`${href}: at 375px chart "${c.title}" has text "${c.text}" at ${c.px.toFixed(1)}px (under 10px)`);
        report.minPhoneChartPx = Math.min(report.minPhoneChartPx, +c.px.toFixed(2));
      }
      await page.screenshot({ path: path.join(shots, `${name}-phone.png`) });
      await page.setViewportSize({ width: 1280, height: 900 });
      // A quiz answers when clicked: the first multiple-choice quiz found on the site.
      if (!report.quiz) {
        const quiz = page.locator('form[data-quiz]').filter({ has: page.locator('input[data-correct]') }).first();
        if (await quiz.count()) {
          await quiz.locator('input[data-correct]').first().click({ force: true });
          await quiz.locator('.quiz-check').click();
          const feedback = (await quiz.locator('.quiz-feedback').textContent()).trim();
          if (!/correct/i.test(feedback)) problems.push(`${href}: quiz feedback after the right answer: "${feedback}"`);
          report.quiz = { page: href, feedback };
        }
      }
      report.pages.push({ href, title, charts: figures.length, confusion });
      const next = page.locator('a[rel="next"]').first();
      if (!(await next.count())) break;
      await next.click();
      await page.waitForLoadState('load');
    }
    if (!report.quiz) problems.push('no quiz with choices was found');
    if (report.charts < 5) problems.push(`only ${report.charts} charts on the whole site`);
    if (report.confusion < 1) problems.push('no confusion matrix on the site');
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  report.ok = problems.length === 0;
  report.problems = problems;
  process.stdout.write(JSON.stringify(report) + '\n');
  if (problems.length) process.exit(1);
}

main().catch((e) => { console.error(e); process.exit(1); });
