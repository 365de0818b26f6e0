// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against a built
// site, checking the default theme the way a reader meets it.
//
//   node theme-browser.js pages <site-dir> <page>...
//     Every page from file:// at 375 px and 1280 px: nothing wider than the viewport; light
//     and dark colour schemes give different backgrounds; the toggle switches and is
//     remembered across a reload; print media hides the navigation and shows quiz answers.
//   node theme-browser.js quiz <site-dir> <page>
//     Answers the first quiz by keyboard only: a wrong choice, then the right one, and reads
//     the live feedback region.
//   node theme-browser.js notfound <site-dir> [<prefix>]
//     Serves the site under <prefix> (default /my-repo/, a project site; `/` for a user
//     site's root or a custom domain) on 127.0.0.1 with a GitHub-Pages-like 404 (404.html,
//     status 404, for any missing path) and opens a missing URL three levels deep: the page
//     is styled and its links lead to the site root (at `/`, the first folder of the
//     missing URL is one that does not exist on the site).
//   [--screenshots DIR] after the mode's arguments saves screenshots there.
//
// Any console error (but the 404 status of the missing page itself), page error or request
// that leaves the machine fails the run. Prints one JSON object; exit 1 on failure.
'use strict';
const path = require('path');
const fs = require('fs');
const http = require('http');
const chromium = require('./chromium');
const { overflow } = chromium;

let args = process.argv.slice(2);
let shots = null;
const si = args.indexOf('--screenshots');
if (si >= 0) {
  shots = args[si + 1];
  args = args.slice(0, si).concat(args.slice(si + 2));
  fs.mkdirSync(shots, { recursive: true });
}
const [mode, siteDir, ...rest] = args;

function fileUrl(p) {
  return 'file://' + path.resolve(p).split(path.sep).map(encodeURIComponent).join('/');
}

function check(cond, msg, problems) {
  if (!cond) problems.push(msg);
}

async function launch(problems, allow404) {
  const { context, userDataDir } = await chromium.launch();
  context.on('request', (req) => {
    const u = req.url();
    const local = u.startsWith('file:') || u.startsWith('data:') || u.startsWith('http://127.0.0.1:');
    if (!local) problems.push('request off the machine: ' + u);
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (allow404 && /status of 404/.test(m.text())) return;
    problems.push('console error: ' + m.text());
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  return { context, page };
}


async function pagesMode(page, context, pages, problems) {
  const results = [];
  for (const p of pages) {
    const url = fileUrl(path.join(siteDir, p));
    const name = p.replace(/[\/.]/g, '_');
    for (const width of [375, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await page.emulateMedia({ colorScheme: 'light', media: 'screen' });
      await page.goto(url);
      await page.evaluate(() => { try { localStorage.removeItem('bb-theme'); } catch (e) {} });
      await page.reload();
      const o = await overflow(page);
      check(o.scrollWidth <= o.vw, `${p} at ${width}px: page is ${o.scrollWidth}px wide: ${o.wide.join('; ')}`, problems);
      if (shots) await page.screenshot({ path: path.join(shots, `${name}-${width}-light.png`), fullPage: true });
      if (width === 375) {
        // The sidebar folds behind the Menu button, which opens it.
        const menu = page.locator('.nav-toggle');
        if (await menu.count()) {
          check(await menu.isVisible(), `${p}: Menu button hidden on a phone`, problems);
          check(!(await page.locator('#bb-sidebar').isVisible()), `${p}: sidebar open on a phone`, problems);
          await menu.click();
          check(await page.locator('#bb-sidebar').isVisible(), `${p}: Menu does not open the sidebar`, problems);
          check((await menu.getAttribute('aria-expanded')) === 'true', `${p}: aria-expanded not updated`, problems);
        }
      }
    }
    // Dark mode from the system setting.
    await page.setViewportSize({ width: 1280, height: 900 });
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(url);
    const light = await bg();
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await bg();
    check(light !== dark, `${p}: dark scheme does not change the background (${light})`, problems);
    if (shots) await page.screenshot({ path: path.join(shots, `${name}-1280-dark.png`), fullPage: true });
    // The toggle: light chosen under a dark system, remembered after reload.
    const toggle = page.locator('.theme-toggle');
    if (await toggle.count()) {
      check(await toggle.isVisible(), `${p}: theme toggle hidden`, problems);
      // The page hears of the system change through a media query's change event, dispatched
      // at its next rendering frame (late on a busy machine): wait for it, a few seconds at most.
      // The button says what pressing it does, to the eye and to a screen reader alike.
      const label = () => page.evaluate(() => {
        const t = document.querySelector('.theme-toggle');
        const shown = [...t.querySelectorAll(':scope > span')].filter((s) => s.getClientRects().length);
        return shown.map((s) => s.textContent.replace(/\u00a0/g, ' ').trim()).join(' | ');
      });
      // Its accessible name (a button whose name changes is not also aria-pressed).
      const name = async () => {
        if (await toggle.getAttribute('aria-pressed')) return 'aria-pressed set';
        const snap = await toggle.ariaSnapshot();
        const m = /button "([^"]*)"/.exec(snap);
        return m ? m[1] : snap;
      };
      const saysLight = await page
        .waitForFunction(() => /Light mode/.test(document.querySelector('.theme-toggle').innerText), null, { timeout: 5000 })
        .then(() => true, () => false);
      check(saysLight, `${p}: in dark mode the toggle says ${await label()}, not "☀ Light mode"`, problems);
      check((await label()) === '☀ Light mode', `${p}: in dark mode the toggle shows ${await label()}`, problems);
      check((await name()) === 'Light mode', `${p}: in dark mode the toggle is named ${await name()}`, problems);
      await toggle.click();
      check((await label()) === '☾ Dark mode', `${p}: in light mode the toggle shows ${await label()}`, problems);
      check((await bg()) === light, `${p}: toggle does not switch to light`, problems);
      const stored = await page.evaluate(() => localStorage.getItem('bb-theme'));
      check(stored === 'light', `${p}: choice stored as ${stored}`, problems);
      // Chromium commits localStorage to its backend asynchronously; a reader does not
      // reload within milliseconds, give it the time a person would (longer on a busy
      // machine: up to four reloads over about 4 s; a choice never stored still fails).
      let remembered = false;
      for (let attempt = 0; attempt < 4 && !remembered; attempt++) {
        await page.waitForTimeout(500 * (attempt + 1));
        await page.reload();
        remembered = (await bg()) === light;
      }
      check(remembered, `${p}: choice not remembered after reload`, problems);
      check((await label()) === '☾ Dark mode', `${p}: toggle label after reload: ${await label()}`, problems);
      check((await name()) === 'Dark mode', `${p}: toggle name after reload: ${await name()}`, problems);
      await toggle.click();
      await page.evaluate(() => { try { localStorage.removeItem('bb-theme'); } catch (e) {} });
    }
    // Print.
    await page.emulateMedia({ media: 'print', colorScheme: 'dark' });
    await page.goto(url);
    await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
    const printed = await page.evaluate(() => {
      const shown = (sel) => [...document.querySelectorAll(sel)].some((e) => e.getClientRects().length > 0);
      const answers = [...document.querySelectorAll('.quiz-answer')];
      return {
        sidebar: shown('.sidebar'), header: shown('.site-header'), pager: shown('.pager'),
        buttons: shown('main button'),
        answersHidden: answers.filter((d) => !d.open).length,
        bg: getComputedStyle(document.body).backgroundColor,
      };
    });
    check(!printed.sidebar && !printed.header && !printed.pager, `${p}: navigation printed ${JSON.stringify(printed)}`, problems);
    check(!printed.buttons, `${p}: buttons printed`, problems);
    check(printed.answersHidden === 0, `${p}: ${printed.answersHidden} quiz answers closed for print`, problems);
    check(printed.bg === 'rgb(255, 255, 255)', `${p}: print background ${printed.bg}`, problems);
    if (shots) await page.pdf({ path: path.join(shots, `${name}.pdf`) }).catch(() => {});
    await page.emulateMedia({ media: 'screen', colorScheme: 'light' });
    results.push(p);
  }
  return { pages: results };
}

async function quizMode(page, p, problems) {
  await page.goto(fileUrl(path.join(siteDir, p)));
  const quiz = page.locator('form[data-quiz]').first();
  check(await quiz.locator('.quiz-check').isVisible(), 'Check button not shown by the script', problems);
  const inputs = quiz.locator('.quiz-choice input');
  const n = await inputs.count();
  let wrong = -1, right = -1;
  for (let i = 0; i < n; i++) {
    const c = (await inputs.nth(i).getAttribute('data-correct')) !== null;
    if (c && right < 0) right = i;
    if (!c && wrong < 0) wrong = i;
  }
  // Keyboard only: focus the first choice, arrows move within the radio group.
  await inputs.nth(0).focus();
  const feedback = quiz.locator('.quiz-feedback');
  const choose = async (target) => {
    await inputs.nth(0).focus();
    for (let i = 0; i < target; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    // Tab to the Check button and press Enter.
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.className);
    check(focused === 'quiz-check', `Tab from the choices lands on ${focused}, not Check`, problems);
    await page.keyboard.press('Enter');
    return (await feedback.textContent()).trim();
  };
  const live = await feedback.getAttribute('aria-live');
  check(live === 'polite', 'feedback is not a live region', problems);
  const first = await choose(wrong);
  check(/not quite/i.test(first), `wrong answer feedback: ${first}`, problems);
  check(await quiz.locator('.quiz-choice.is-wrong').count() === 1, 'wrong choice not marked', problems);
  // A wrong answer does not give the right one away: no explanation, no answer opened.
  const shownWhy = () => quiz.locator('.quiz-explanation').evaluateAll((els) => els.filter((e) => e.getClientRects().length).map((e) => e.textContent.trim()));
  const whyAfterWrong = await shownWhy();
  check(whyAfterWrong.length === 0, `a wrong answer shows explanations: ${JSON.stringify(whyAfterWrong)}`, problems);
  check(!(await quiz.locator('details.quiz-answer').evaluate((d) => d.open)), 'a wrong answer opens the answer', problems);
  const second = await choose(right);
  check(/correct/i.test(second), `right answer feedback: ${second}`, problems);
  check((await shownWhy()).length > 0, 'a right answer shows no explanation', problems);
  check(await quiz.locator('.quiz-choice.is-correct').count() >= 1, 'right choice not marked', problems);
  if (shots) await quiz.screenshot({ path: path.join(shots, 'quiz.png') });
  return { wrong: first, right: second };
}

async function notFoundMode(page, problems, prefix) {
  const root = path.resolve(siteDir);
  const types = { '.html': 'text/html', '.css': 'text/css', '.js': 'text/javascript', '.xml': 'application/xml' };
  const server = http.createServer((req, res) => {
    const u = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = null;
    if (u.startsWith(prefix)) {
      let rel = u.slice(prefix.length);
      if (rel === '' || rel.endsWith('/')) rel += 'index.html';
      const f = path.join(root, rel);
      if (f.startsWith(root) && fs.existsSync(f) && fs.statSync(f).isFile()) file = f;
    }
    if (file) {
      res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
      res.end(fs.readFileSync(file));
    } else {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end(fs.readFileSync(path.join(root, '404.html')));
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  try {
    const base = `http://127.0.0.1:${port}${prefix}`;
    const missing = `${base}${prefix === '/' ? 'oldsection' : 'a'}/b/c/missing.html`;
    const resp = await page.goto(missing);
    check(resp.status() === 404, `status ${resp.status()}`, problems);
    const found = await page
      .waitForFunction(() => document.documentElement.hasAttribute('data-bb-root'), null, { timeout: 10000 })
      .then(() => true, () => false);
    check(found, 'the 404 page never found the site root', problems);
    const info = await page.evaluate(() => ({
      h1: document.querySelector('h1') && document.querySelector('h1').textContent,
      // Styled: the header has the theme's bottom border.
      headerBorder: getComputedStyle(document.querySelector('.site-header')).borderBottomStyle,
      links: [...document.querySelectorAll('main a[href], header a[href]')].map((a) => a.href),
    }));
    check(info.h1 === 'Page not found', `h1 ${info.h1}`, problems);
    check(info.headerBorder === 'solid', 'the 404 page is not styled', problems);
    for (const l of info.links) {
      check(l.startsWith(base) && !l.includes('/b/c/') && !l.includes('/oldsection/'), `404 link ${l}`, problems);
    }
    // The home link works, and so does every other link.
    const home = info.links.find((l) => l === `${base}index.html`);
    check(!!home, `no home link in ${info.links}`, problems);
    for (const l of info.links) {
      const r = await page.request.get(l.split('#')[0]);
      check(r.status() === 200, `404 link ${l} gives ${r.status()}`, problems);
    }
    if (home) {
      const r = await page.goto(home);
      check(r.status() === 200, `home link gives ${r.status()}`, problems);
    }
    if (shots) {
      await page.goto(missing);
      await page.screenshot({ path: path.join(shots, '404.png') });
    }
    return { links: info.links };
  } finally {
    server.close();
  }
}

async function main() {
  const problems = [];
  const { context, page } = await launch(problems, mode === 'notfound');
  let out;
  try {
    if (mode === 'pages') out = await pagesMode(page, context, rest, problems);
    else if (mode === 'quiz') out = await quizMode(page, rest[0], problems);
    else if (mode === 'notfound') out = await notFoundMode(page, problems, rest[0] || '/my-repo/');
    else throw new Error('unknown mode ' + mode);
  } catch (e) {
    problems.push('exception: ' + (e && e.stack || e));
  } finally {
    await context.close();
  }
  const ok = problems.length === 0;
  console.log(JSON.stringify(Object.assign({ ok, problems }, out || {})));
  process.exit(ok ? 0 : 1);
}

main();
