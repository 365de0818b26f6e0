// Runs queries against a built search index with the real search.js, outside a browser.
// Usage: node search-query.js [--exhaustive] <search.js> <search-index.js> <query>...
// Prints one JSON line per query: { query, total, stopped_early, narrowed, results: [{ url,
// kind, title, heading, snippet }] }. `total` is the full count (counted on after an early
// stop); `narrowed`: only the previous query's matches were scanned. --exhaustive runs every
// query without either shortcut.
'use strict';
const fs = require('fs');
const vm = require('vm');
const args = process.argv.slice(2);
const exhaustive = args[0] === '--exhaustive';
if (exhaustive) args.shift();
const [searchJs, indexJs, ...queries] = args;
const search = require(require('path').resolve(searchJs));
const sandbox = { window: {} };
vm.runInNewContext(fs.readFileSync(indexJs, 'utf8'), sandbox);
const raw = sandbox.window.BENCHBOOK_SEARCH;
if (!raw || raw.v !== 1) throw new Error('no BENCHBOOK_SEARCH v1 in ' + indexJs);
const ix = search.prepare(raw);
for (const q of queries) {
  const r = search.runQuery(ix, q, 50, exhaustive);
  const stoppedEarly = !!r.partial;
  const narrowed = !!r.narrowed;
  search.countRest(r);
  const results = r.results.map((hit) => {
    const doc = ix.docs[hit.doc];
    const page = ix.pages[doc[0]];
    return {
      url: page[1] + (doc[1] ? '#' + doc[1] : ''),
      kind: doc[2],
      title: search.textOf(ix, ix.titles, doc[0]),
      heading: search.textOf(ix, ix.headings, hit.doc),
      snippet: search.snippet(ix, hit.doc, hit.hit),
    };
  });
  process.stdout.write(JSON.stringify({ query: q, total: r.total, stopped_early: stoppedEarly, narrowed, results }) + '\n');
}
