/* benchbook offline search.
 *
 * Loads `<root>search-index.js` (built by src/search.rs) with a <script> element the first
 * time the reader focuses or types in the search box: no fetch, so it works from file://
 * and under any sub-path. `<root>` is the script element's `data-root` attribute, or its
 * own `src` without `static/search.js`.
 *
 * Matching: the query is folded like the index (NFKD, marks dropped, lower case); a word
 * matches the vocabulary terms equal to it, or (English sites) with the same Porter2 stem;
 * the word being typed also matches every term it starts. Every query word must match the
 * page title, the heading or the text under it.
 *
 * Keyboard: `/` or `s` focuses the box, ArrowDown/ArrowUp move through the results (real
 * links, so Enter opens one), Enter in the box opens the first, Escape closes.
 */
(function () {
  'use strict';

  /* ---------------------------------------------------------------- Porter2 stemmer --
   * A port of the Snowball English stemmer as rust-stemmers implements it; it must give
   * the same stems (tests/suite/search_stemmer.rs compares them on a word list through node). */
  var VOWEL = { a: 1, e: 1, i: 1, o: 1, u: 1, y: 1 };
  var EXCEPTION1 = {
    skis: 'ski', skies: 'sky', dying: 'die', lying: 'lie', tying: 'tie', idly: 'idl',
    gently: 'gentl', ugly: 'ugli', early: 'earli', only: 'onli', singly: 'singl',
    sky: 'sky', news: 'news', howe: 'howe', atlas: 'atlas', cosmos: 'cosmos', bias: 'bias',
    andes: 'andes'
  };
  var EXCEPTION2 = {
    inning: 1, outing: 1, canning: 1, herring: 1, earring: 1, proceed: 1, exceed: 1, succeed: 1
  };
  var STEP2 = [
    ['ization', 'ize'], ['ational', 'ate'], ['fulness', 'ful'], ['ousness', 'ous'],
    ['iveness', 'ive'], ['tional', 'tion'], ['biliti', 'ble'], ['lessli', 'less'],
    ['entli', 'ent'], ['ation', 'ate'], ['alism', 'al'], ['aliti', 'al'], ['ousli', 'ous'],
    ['iviti', 'ive'], ['fulli', 'ful'], ['enci', 'ence'], ['anci', 'ance'], ['abli', 'able'],
    ['izer', 'ize'], ['ator', 'ate'], ['alli', 'al'], ['bli', 'ble'], ['ogi', 'og'],
    ['li', '']
  ];
  var STEP3 = [
    ['ational', 'ate'], ['tional', 'tion'], ['alize', 'al'], ['icate', 'ic'], ['iciti', 'ic'],
    ['ative', ''], ['ical', 'ic'], ['ness', ''], ['ful', '']
  ];
  var STEP4 = [
    'ement', 'ance', 'ence', 'able', 'ible', 'ment', 'ant', 'ent', 'ism', 'ate', 'iti', 'ous',
    'ive', 'ize', 'ion', 'al', 'er', 'ic'
  ];

  function stem(word) {
    if (Object.prototype.hasOwnProperty.call(EXCEPTION1, word)) return EXCEPTION1[word];
    var w = Array.from(word);
    if (w.length < 3) return word;
    // prelude
    if (w[0] === "'") w.shift();
    if (w[0] === 'y') w[0] = 'Y';
    for (var i = 1; i < w.length; i++) {
      if (w[i] === 'y' && VOWEL[w[i - 1]]) w[i] = 'Y';
    }
    // regions
    var p1 = w.length, p2 = w.length;
    var s = w.join('');
    var start = -1;
    if (s.indexOf('gener') === 0) start = 5;
    else if (s.indexOf('commun') === 0) start = 6;
    else if (s.indexOf('arsen') === 0) start = 5;
    else start = afterVC(w, 0);
    if (start >= 0) {
      p1 = start;
      var r2 = afterVC(w, p1);
      if (r2 >= 0) p2 = r2;
    }

    function ends(suf) {
      var n = suf.length;
      if (n > w.length) return false;
      for (var k = 0; k < n; k++) if (w[w.length - n + k] !== suf[k]) return false;
      return true;
    }
    function cut(n, repl) { w.length -= n; for (var k = 0; k < repl.length; k++) w.push(repl[k]); }
    function isV(k) { return k >= 0 && k < w.length && VOWEL[w[k]] === 1; }
    function hasVowelBefore(end) { for (var k = 0; k < end; k++) if (isV(k)) return true; return false; }
    // short syllable ending at index e (exclusive)
    function shortv(e) {
      var last = e - 1;
      if (last < 1) return false;
      var c = w[last];
      if (!isV(last) && isV(last - 1)) {
        if (last - 1 === 0) return true;
        if (c !== 'w' && c !== 'x' && c !== 'Y' && !isV(last - 2)) return true;
      }
      return false;
    }

    // Step 0
    if (ends("'s'")) cut(3, '');
    else if (ends("'s")) cut(2, '');
    else if (ends("'")) cut(1, '');
    // Step 1a
    if (ends('sses')) cut(2, '');
    else if (ends('ied') || ends('ies')) cut(3, w.length - 3 >= 2 ? 'i' : 'ie');
    else if (ends('us') || ends('ss')) { /* unchanged */ }
    else if (ends('s')) { if (hasVowelBefore(w.length - 2)) cut(1, ''); }

    if (!Object.prototype.hasOwnProperty.call(EXCEPTION2, w.join(''))) {
      // Step 1b
      var suf1b = longest(['eedly', 'ingly', 'edly', 'eed', 'ing', 'ed']);
      if (suf1b === 'eed' || suf1b === 'eedly') {
        if (w.length - suf1b.length >= p1) cut(suf1b.length, 'ee');
      } else if (suf1b) {
        var base = w.length - suf1b.length;
        if (hasVowelBefore(base)) {
          cut(suf1b.length, '');
          if (ends('at') || ends('bl') || ends('iz')) cut(0, 'e');
          else if (/^(bb|dd|ff|gg|mm|nn|pp|rr|tt)$/.test(w.slice(-2).join(''))) cut(1, '');
          else if (p1 === w.length && shortv(w.length)) cut(0, 'e');
        }
      }
      // Step 1c
      var n = w.length;
      if (n > 2 && (w[n - 1] === 'y' || w[n - 1] === 'Y') && !isV(n - 2)) w[n - 1] = 'i';
      // Step 2
      var m = match(STEP2);
      if (m && w.length - m[0].length >= p1) {
        if (m[0] === 'ogi') { if (w[w.length - 4] === 'l') cut(3, 'og'); }
        else if (m[0] === 'li') { if ('cdeghkmnrt'.indexOf(w[w.length - 3]) >= 0 && w.length >= 3) cut(2, ''); }
        else cut(m[0].length, m[1]);
      }
      // Step 3
      m = match(STEP3);
      if (m && w.length - m[0].length >= p1) {
        if (m[0] === 'ative') { if (w.length - 5 >= p2) cut(5, ''); }
        else cut(m[0].length, m[1]);
      }
      // Step 4
      var s4 = longest(STEP4);
      if (s4 && w.length - s4.length >= p2) {
        if (s4 === 'ion') {
          var before = w[w.length - 4];
          if (w.length >= 4 && (before === 's' || before === 't')) cut(3, '');
        } else cut(s4.length, '');
      }
      // Step 5
      n = w.length;
      if (w[n - 1] === 'e') {
        if (n - 1 >= p2 || (n - 1 >= p1 && !shortv(n - 1))) cut(1, '');
      } else if (w[n - 1] === 'l') {
        if (n - 1 >= p2 && w[n - 2] === 'l') cut(1, '');
      }
    }
    // postlude
    return w.join('').replace(/Y/g, 'y');

    function longest(list) {
      var best = '';
      for (var k = 0; k < list.length; k++) if (list[k].length > best.length && ends(list[k])) best = list[k];
      return best;
    }
    function match(table) {
      var best = null;
      for (var k = 0; k < table.length; k++) {
        if (ends(table[k][0]) && (!best || table[k][0].length > best[0].length)) best = table[k];
      }
      return best;
    }
  }

  /* Index just after the first non-vowel that follows a vowel, from `from`; -1 if none. */
  function afterVC(w, from) {
    for (var i = from; i < w.length - 1; i++) {
      if (VOWEL[w[i]] === 1 && VOWEL[w[i + 1]] !== 1) return i + 2;
    }
    return -1;
  }

  /* ------------------------------------------------------------- folding, words -- */
  var MARKS = /\p{M}/gu;
  var NON_WORD = /[^\p{Alphabetic}\p{N}]+/u;
  function fold(s) {
    // Character by character, like Rust's char::to_lowercase (no final-sigma rule).
    return Array.from(s.normalize('NFKD').replace(MARKS, ''), function (c) {
      return c.toLowerCase();
    }).join('');
  }
  function queryWords(q) {
    return fold(q).split(NON_WORD).filter(function (x) { return x.length > 0; });
  }

  /* --------------------------------------------------------------- the index -- */
  var DIGITS = "!#$%'()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~";
  var FINAL = 50, LEADING = DIGITS.length - FINAL;
  var DIGIT = new Int16Array(128).fill(-1);
  for (var di = 0; di < DIGITS.length; di++) DIGIT[DIGITS.charCodeAt(di)] = di;

  function countNumbers(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var d = DIGIT[s.charCodeAt(i)];
      if (d >= 0 && d < FINAL) n++;
    }
    return n;
  }
  /* Decodes `s` into `out` from `pos`; returns the new end. */
  function decodeInto(s, out, pos) {
    var acc = 0;
    for (var i = 0; i < s.length; i++) {
      var d = DIGIT[s.charCodeAt(i)];
      if (d < 0) continue;
      if (d < FINAL) { out[pos++] = acc * FINAL + d; acc = 0; } else acc = acc * LEADING + (d - FINAL);
    }
    return pos;
  }
  function decode(s) {
    var out = new Int32Array(countNumbers(s));
    decodeInto(s, out, 0);
    return out;
  }
  /* Concatenated token lists: `tok`, with list i at [start[i], start[i + 1]). */
  function packed(strings) {
    var start = new Int32Array(strings.length + 1), total = 0, i;
    for (i = 0; i < strings.length; i++) { start[i] = total; total += countNumbers(strings[i]); }
    start[strings.length] = total;
    var tok = new Int32Array(total);
    for (i = 0; i < strings.length; i++) decodeInto(strings[i], tok, start[i]);
    return { tok: tok, start: start };
  }
  /* Inverse of a many-to-one map (`of[i]` in 0..n): lists of i per target, CSR style. */
  function invert(of, n, offset) {
    var count = new Int32Array(n + 1), i;
    for (i = 0; i < of.length; i++) { var t = of[i] - offset; if (t >= 0) count[t + 1]++; }
    for (i = 0; i < n; i++) count[i + 1] += count[i];
    var fill = count.slice(0, n), items = new Int32Array(count[n]);
    for (i = 0; i < of.length; i++) { var u = of[i] - offset; if (u >= 0) items[fill[u]++] = i; }
    return { start: count, items: items };
  }

  function prepare(raw) {
    var ix = {
      words: raw.words,
      terms: raw.terms,
      stems: raw.stems || null,
      pages: raw.pages,
      docs: raw.docs
    };
    ix.wordTerm = decode(raw.wt); // 1 + term, 0 for punctuation
    ix.termWords = invert(ix.wordTerm, raw.terms.length, 1);
    if (raw.stems) ix.stemTerms = invert(decode(raw.ts), raw.stems.length, 0);
    ix.titles = packed(raw.pages.map(function (p) { return p[0]; }));
    ix.headings = packed(raw.docs.map(function (d) { return d[3]; }));
    ix.bodies = packed(raw.docs.map(function (d) { return d[4]; }));
    ix.mask = new Uint8Array(raw.words.length);
    ix.spareMask = new Uint8Array(raw.words.length);
    ix.prev = null; // the last query's scan (see runQuery)
    ix.titleMask = new Uint8Array(raw.pages.length);
    // Per entry: its page, and whether it is the page's top (where title matches land).
    ix.docPage = new Int32Array(raw.docs.length);
    ix.docTop = new Uint8Array(raw.docs.length);
    ix.topHeading = false;
    for (var d = 0; d < raw.docs.length; d++) {
      var doc = raw.docs[d];
      ix.docPage[d] = doc[0];
      ix.docTop[d] = doc[1] === '' && doc[2] === 0 ? 1 : 0;
      if (ix.docTop[d] && ix.headings.start[d + 1] > ix.headings.start[d]) ix.topHeading = true;
    }
    return ix;
  }

  /* First index in sorted `arr` whose value is >= key. */
  function lowerBound(arr, key) {
    var lo = 0, hi = arr.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (arr[mid] < key) lo = mid + 1; else hi = mid; }
    return lo;
  }

  /* Marks in ix.mask (bit `bit`) every word matching the query word `q`; returns how many. */
  function markWord(ix, q, prefix, bit) {
    var terms = [], i;
    var at = lowerBound(ix.terms, q);
    if (prefix) {
      for (i = at; i < ix.terms.length && ix.terms[i].lastIndexOf(q, 0) === 0; i++) terms.push(i);
    } else if (ix.terms[at] === q) terms.push(at);
    if (ix.stems) {
      var st = stem(q), si = lowerBound(ix.stems, st);
      if (ix.stems[si] === st) {
        for (i = ix.stemTerms.start[si]; i < ix.stemTerms.start[si + 1]; i++) terms.push(ix.stemTerms.items[i]);
      }
    }
    var n = 0;
    for (var k = 0; k < terms.length; k++) {
      var t = terms[k];
      for (i = ix.termWords.start[t]; i < ix.termWords.start[t + 1]; i++) {
        ix.mask[ix.termWords.items[i]] |= bit;
        n++;
      }
    }
    return n;
  }

  function popcount(x) { var n = 0; while (x) { n += x & 1; x >>= 1; } return n; }

  /* Score of an entry from the query words found in its heading (hm), its text (bm, hits
   * times) and, for a page's top, its page title (tmask). */
  function score(hm, bm, hits, top, tmask) {
    var s = popcount(hm) * 6 + popcount(bm) * 3 + Math.min(hits, 10) * 0.2;
    if (top) s += popcount(tmask) * 8 - (hm | bm ? 0 : 1);
    return s;
  }

  /* First token of entry d's text that matches a query word, or -1. */
  function firstHit(ix, d) {
    var B = ix.bodies, mask = ix.mask;
    for (var j = B.start[d]; j < B.start[d + 1]; j++) if (mask[B.tok[j]]) return j;
    return -1;
  }

  /* Runs a query; returns { total, results: [{doc, score, hit}] } sorted best first, and
   * `partial: true` when it stopped early (see below): then `total` counts the entries seen
   * so far, and `countRest(result)` finishes the count.
   *
   * Every entry is scanned (about six million tokens for a 10,000-page site), with two
   * exceptions that leave the results unchanged:
   * - the scan stops once `limit` results have the highest score any entry can get: later
   *   ones could only tie, and ties keep reading order. This is what makes a first letter,
   *   which matches nearly every entry, as quick as a word;
   * - when every word the query matches was matched by the previous query too (one more
   *   letter typed: `trai` after `tra`), only the entries that matched it are scanned.
   * `exhaustive` turns both off (for tests). */
  function runQuery(ix, query, limit, exhaustive) {
    var prev = ix.prev;
    ix.prev = null;
    var words = queryWords(query).slice(0, 8);
    if (!words.length) return { total: 0, results: [] };
    var typing = !/[\s\p{P}]$/u.test(query);
    // The previous query's masks are kept for the comparison below.
    var before = ix.mask;
    ix.mask = ix.spareMask;
    ix.spareMask = before;
    ix.mask.fill(0);
    var n = words.length, full = (1 << n) - 1, i, j;
    for (i = 0; i < n; i++) {
      if (!markWord(ix, words[i], typing && i === n - 1, 1 << i)) return { total: 0, results: [] };
    }
    var mask = ix.mask, T = ix.titles;
    for (i = 0; i < ix.pages.length; i++) {
      var tm = 0;
      for (j = T.start[i]; j < T.start[i + 1]; j++) tm |= mask[T.tok[j]];
      ix.titleMask[i] = tm;
    }
    var list = null;
    if (!exhaustive && prev && prev.full === full && prev.k === prev.end) {
      // Every word matched now was matched, for the same query word, before?
      var narrower = true;
      for (i = 0; i < mask.length && narrower; i++) narrower = (mask[i] & ~before[i]) === 0;
      if (narrower) list = prev.matched;
    }
    var maxScore = Math.max(score(full, full, 10, 0, 0),
      score(ix.topHeading ? full : 0, full, 10, 1, full));
    var state = {
      ix: ix, full: full, list: list, k: 0, end: list ? list.length : ix.docPage.length,
      total: 0, matched: []
    };
    ix.prev = state;
    // The best `limit` results, kept sorted while scanning (no sort of every match).
    var best = [];
    var stopped = scan(state, function (d, s) {
      if (best.length === limit && s <= best[limit - 1].score) return false;
      var lo = 0, hi = best.length;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (best[mid].score >= s) lo = mid + 1; else hi = mid; }
      best.splice(lo, 0, { doc: d, score: s, hit: -1 });
      if (best.length > limit) best.pop();
      return !exhaustive && best.length === limit && best[limit - 1].score >= maxScore;
    });
    for (i = 0; i < best.length; i++) best[i].hit = firstHit(ix, best[i].doc);
    return { total: state.total, results: best, partial: stopped, narrowed: !!list, state: state };
  }

  /* Scans entries (all, or those of state.list) from state.k to `until` (the end if not
   * given), counting matches in state.total, listing them in state.matched and passing
   * each to `found(doc, score)` until it returns true (then returns true: stopped early). */
  function scan(state, found, until) {
    var ix = state.ix, full = state.full, mask = ix.mask, list = state.list;
    var H = ix.headings, B = ix.bodies, hs = H.start, ht = H.tok, bs = B.start, bt = B.tok;
    var docPage = ix.docPage, docTop = ix.docTop, titleMask = ix.titleMask;
    var end = Math.min(state.end, until || state.end), total = state.total, matched = state.matched;
    for (var k = state.k; k < end; k++) {
      var d = list ? list[k] : k, j;
      var hm = 0, bm = 0, hits = 0, e = bs[d + 1];
      for (j = hs[d]; j < hs[d + 1]; j++) hm |= mask[ht[j]];
      for (j = bs[d]; j < e; j++) {
        var m = mask[bt[j]];
        bm |= m;
        hits += (m + 255) >> 8; // 1 when m > 0, without a branch
      }
      var top = docTop[d], tmask = titleMask[docPage[d]];
      if ((hm | bm | tmask) !== full) continue;
      if (!(hm | bm) && !top) continue;
      total++;
      matched.push(d);
      if (found && found(d, score(hm, bm, hits, top, tmask))) {
        state.k = k + 1;
        state.total = total;
        return true;
      }
    }
    state.k = end;
    state.total = total;
    return false;
  }

  /* Goes on counting the matches of a result that stopped early, up to `until` more
   * entries scanned (all by default); its results are final. Returns whether the count is
   * complete. The index's masks must still be those of this query (no other query ran). */
  function countRest(result, until) {
    if (result.partial) {
      scan(result.state, null, until ? result.state.k + until : 0);
      result.total = result.state.total;
      result.partial = result.state.k < result.state.end;
    }
    return !result.partial;
  }

  /* ------------------------------------------------------------------ text out -- */
  function escapeHtml(s) {
    return s.replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  /* Text of tokens [from, to) of a packed list, matches wrapped in <mark> when `marks`. */
  function textOf(ix, tok, from, to, marks) {
    var out = '', prevWord = false;
    for (var j = from; j < to; j++) {
      var w = tok[j], isWord = ix.wordTerm[w] > 0;
      if (prevWord && isWord) out += ' ';
      var s = escapeHtml(ix.words[w]);
      out += marks && ix.mask[w] ? '<mark>' + s + '</mark>' : s;
      prevWord = isWord;
    }
    return out;
  }
  /* Whether the text between tokens j - 1 and j of a packed list is a break between
     words: two words (a space is implied between them), or punctuation with a space on
     that side. "1.45x" or "PyTorch’s" are several tokens with no break inside. */
  function breakBefore(ix, tok, j) {
    var a = tok[j - 1], b = tok[j];
    var aWord = ix.wordTerm[a] > 0, bWord = ix.wordTerm[b] > 0;
    if (aWord && bWord) return true;
    if (!aWord && / $/.test(ix.words[a])) return true;
    return !bWord && /^ /.test(ix.words[b]);
  }
  /* Punctuation that cannot start a snippet (it belongs to the text cut off before). */
  var TRAILING = /^[\s,.;:!?)\]}\u2019\u201d\u2026\u2013\u2014-]+$/;
  function snippet(ix, d, hit) {
    var B = ix.bodies, tok = B.tok, s = B.start[d], e = B.start[d + 1];
    var from = hit < 0 ? s : Math.max(s, hit - 12), to = Math.min(e, from + 36);
    // Cut between words, never inside one: back to the last break (a few tokens at
    // most), else on to the next one, not past the match.
    var k = from;
    while (k > s && k > from - 6 && !breakBefore(ix, tok, k)) k--;
    if (k === s || breakBefore(ix, tok, k)) {
      from = k;
    } else {
      var limit = hit < 0 ? to : hit;
      while (from < limit && !breakBefore(ix, tok, from)) from++;
    }
    while (from > s && from < (hit < 0 ? to : hit) && ix.wordTerm[tok[from]] === 0 && TRAILING.test(ix.words[tok[from]])) from++;
    var end = to;
    while (end < e && end < to + 6 && !breakBefore(ix, tok, end)) end++;
    if (end === e || breakBefore(ix, tok, end)) to = end;
    else while (to > from + 1 && !breakBefore(ix, tok, to)) to--;
    var text = textOf(ix, tok, from, to, true).replace(/^\s+|\s+$/g, '');
    return (from > s ? '… ' : '') + text + (to < e ? ' …' : '');
  }

  /* ----------------------------------------------------------------------- UI -- */
  if (typeof document === 'undefined') {
    if (typeof module === 'object' && module.exports) {
      module.exports = {
        stem: stem, fold: fold, queryWords: queryWords, prepare: prepare, runQuery: runQuery,
        countRest: countRest, snippet: snippet,
        textOf: function (ix, list, i) { return textOf(ix, list.tok, list.start[i], list.start[i + 1], false); }
      };
    }
    return;
  }

  var script = document.currentScript;
  var root = script && script.getAttribute('data-root');
  if (root === null || root === undefined) {
    var src = (script && script.getAttribute('src')) || '';
    root = src.replace(/(static\/)?search\.js(\?.*)?$/, '');
  }
  var LIMIT = 30;
  /* Entries counted per slice after an early stop (a few milliseconds' work). */
  var COUNT_SLICE = 8000;
  var counting = null;
  var index = null, loading = false, failed = false;
  var box, input, status, panel, count, list, lastQuery = null;

  function build() {
    box = document.querySelector('[data-bb-search]');
    if (!box) {
      box = document.createElement('div');
      box.className = 'bb-search-floating';
      document.body.insertBefore(box, document.body.firstChild);
    }
    box.classList.add('bb-search');
    box.setAttribute('role', 'search');
    box.innerHTML =
      '<label class="bb-search-label" for="bb-search-input">Search</label>' +
      '<input id="bb-search-input" class="bb-search-input" type="search" role="combobox" autocomplete="off" ' +
      'spellcheck="false" placeholder="Search (press /)" aria-describedby="bb-search-status" ' +
      'aria-controls="bb-search-results" aria-expanded="false">' +
      '<p id="bb-search-status" class="bb-search-sr" role="status" aria-live="polite"></p>' +
      '<div class="bb-search-panel" hidden><p class="bb-search-count" aria-hidden="true"></p>' +
      '<ul id="bb-search-results" class="bb-search-results" aria-label="Search results"></ul></div>';
    input = box.querySelector('input');
    status = box.querySelector('.bb-search-sr');
    panel = box.querySelector('.bb-search-panel');
    count = box.querySelector('.bb-search-count');
    list = box.querySelector('ul');

    input.addEventListener('focus', function () {
      load();
      if (list.firstChild && input.value) {
        panel.hidden = false;
        input.setAttribute('aria-expanded', 'true');
      }
    });
    input.addEventListener('input', function () { load(); update(); });
    input.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowDown') { e.preventDefault(); move(0); }
      else if (e.key === 'Enter') {
        e.preventDefault();
        var first = list.querySelector('a');
        if (first && !panel.hidden) first.click();
      } else if (e.key === 'Escape') {
        if (!panel.hidden) { close(); } else { input.blur(); }
        e.preventDefault();
      }
    });
    list.addEventListener('keydown', function (e) {
      var links = Array.prototype.slice.call(list.querySelectorAll('a'));
      var at = links.indexOf(document.activeElement);
      if (e.key === 'ArrowDown') { e.preventDefault(); move(Math.min(at + 1, links.length - 1)); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); if (at <= 0) input.focus(); else move(at - 1); }
      else if (e.key === 'Home') { e.preventDefault(); move(0); }
      else if (e.key === 'End') { e.preventDefault(); move(links.length - 1); }
      else if (e.key === 'Escape') { e.preventDefault(); close(); input.focus(); }
    });
    document.addEventListener('keydown', function (e) {
      if ((e.key !== '/' && e.key !== 's') || e.ctrlKey || e.metaKey || e.altKey) return;
      var t = e.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      e.preventDefault();
      input.focus();
      input.select();
    });
    document.addEventListener('click', function (e) {
      if (!box.contains(e.target)) close();
    });
  }

  function move(i) {
    var links = list.querySelectorAll('a');
    if (!links.length || panel.hidden) return;
    links[Math.max(0, i)].focus();
  }
  function close() {
    panel.hidden = true;
    input.setAttribute('aria-expanded', 'false');
  }

  function load() {
    if (index || loading || failed) return;
    loading = true;
    say('Loading the search index…');
    var s = document.createElement('script');
    s.src = root + 'search-index.js';
    s.onload = function () {
      loading = false;
      var raw = window.BENCHBOOK_SEARCH;
      if (!raw || raw.v !== 1) { fail(); return; }
      index = prepare(raw);
      warmUp(index);
      say('');
      lastQuery = null;
      update();
    };
    s.onerror = function () { loading = false; fail(); };
    document.head.appendChild(s);
  }
  /* Runs two throwaway queries (a letter, then two) so that the browser compiles the scan,
   * full and narrowed, before the reader's first keystroke rather than during it. */
  function warmUp(ix) {
    var t = ix.terms[ix.terms.length >> 1];
    if (!t) return;
    runQuery(ix, t.slice(0, 1), LIMIT);
    runQuery(ix, t.slice(0, 2), LIMIT);
    ix.prev = null;
  }
  function fail() {
    failed = true;
    say('The search index could not be loaded.');
  }

  function update() {
    var q = input.value;
    if (!index || q === lastQuery) return;
    lastQuery = q;
    if (!queryWords(q).length) {
      counting = null;
      list.innerHTML = '';
      say('');
      close();
      return;
    }
    var r = runQuery(index, q, LIMIT);
    var html = '';
    for (var i = 0; i < r.results.length; i++) {
      var hit = r.results[i], doc = index.docs[hit.doc], page = index.pages[doc[0]];
      var T = index.titles, H = index.headings;
      var title = textOf(index, T.tok, T.start[doc[0]], T.start[doc[0] + 1], false);
      var heading = textOf(index, H.tok, H.start[hit.doc], H.start[hit.doc + 1], false);
      var href = root + page[1] + (doc[1] ? '#' + encodeURIComponent(doc[1]) : '');
      html += '<li><a href="' + escapeHtml(href) + '">' +
        '<span class="bb-search-title">' + title + '</span>' +
        (doc[2] ? '<span class="bb-search-kind">' + (doc[2] === 1 ? 'Pitfall' : 'Quiz') + '</span>' : '') +
        (heading ? '<span class="bb-search-heading">' + heading + '</span>' : '') +
        '<span class="bb-search-snippet">' + snippet(index, hit.doc, hit.hit) + '</span></a></li>';
    }
    list.innerHTML = html;
    input.setAttribute('aria-expanded', r.total ? 'true' : 'false');
    counting = r;
    if (r.partial) {
      // The results are final; the count follows in slices between keystrokes.
      say('More than ' + LIMIT + ' results, the first ' + LIMIT + ' shown');
      setTimeout(function more() {
        if (counting !== r) return; // another query ran: its masks replaced these
        if (!countRest(r, COUNT_SLICE)) { setTimeout(more, 0); return; }
        sayCount(r.total);
      }, 0);
    } else sayCount(r.total);
  }
  function sayCount(total) {
    say(total === 0 ? 'No results' :
      total === 1 ? '1 result' :
        total > LIMIT ? total + ' results, the first ' + LIMIT + ' shown' : total + ' results');
  }

  /* Tells the reader (live region) and shows the same words above the results. */
  function say(text) {
    status.textContent = text;
    count.textContent = text;
    panel.hidden = !text;
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', build);
  else build();
})();
