// html-validate (npm) over every HTML file of a built site.
//
//   node html-validate.js <site-dir>
//
// Preset html-validate:recommended: the issue asks for no error under html-validate:standard,
// and recommended holds every rule of standard (stricter where they differ) plus the
// accessibility (WCAG H30, H32, H36, H37, H63, H67, H71) and consistency rules, all of them
// on. Prints one JSON object: { ok, files, errors: ["path:line:col: [rule] message"] };
// exit 1 when any error is found.
'use strict';
const path = require('path');
const fs = require('fs');
const { HtmlValidate, StaticConfigLoader } = require('html-validate');

const config = {
  extends: ['html-validate:recommended'],
};

function htmlFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...htmlFiles(p));
    else if (e.isFile() && e.name.endsWith('.html')) out.push(p);
  }
  return out.sort();
}

async function main() {
  const root = path.resolve(process.argv[2] || '.');
  const validator = new HtmlValidate(new StaticConfigLoader(config));
  const files = htmlFiles(root);
  const errors = [];
  for (const f of files) {
    const report = await validator.validateFile(f);
    for (const r of report.results) {
      for (const m of r.messages) {
        if (m.severity < 2) continue;
        errors.push(`${path.relative(root, f)}:${m.line}:${m.column}: [${m.ruleId}] ${m.message}` +
          (m.selector ? ` (${m.selector})` : ''));
      }
    }
  }
  const ok = files.length > 0 && errors.length === 0;
  process.stdout.write(JSON.stringify({ ok, files: files.map((f) => path.relative(root, f)), errors }) + '\n');
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
