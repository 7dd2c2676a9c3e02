// npm run size: gzipped sizes of the loader, of everything the open widget loads and of
// everything the CSAT survey page loads (each entry HTML plus every asset it references,
// followed through static JS imports).
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const gz = (buf) => gzipSync(buf, { level: 9 }).length
const kb = (n) => (n / 1024).toFixed(2) + ' KB'

if (!existsSync(join(dist, 'widget', 'index.html'))) {
  console.error('dist/ is missing: run `npm run build` first')
  process.exit(1)
}

function fileFor(url) {
  return join(dist, url.replace(/^\//, '').split(/[?#]/)[0])
}

// Files a widget visitor downloads: <script src>, <link href> in the HTML, then CSS url()
// and the static imports of every JS chunk.
function entryFiles(entry) {
  const html = readFileSync(join(dist, entry, 'index.html'), 'utf8')
  const seen = new Map([['/' + entry + '/index.html', join(dist, entry, 'index.html')]])
  const queue = []
  for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
    if (/^(https?:)?\/\//.test(m[1]) || m[1].startsWith('data:')) continue
    queue.push(m[1])
  }
  while (queue.length) {
    const url = queue.shift()
    if (seen.has(url)) continue
    const path = fileFor(url)
    if (!existsSync(path)) continue
    seen.set(url, path)
    const text = readFileSync(path, 'utf8')
    const here = url.slice(0, url.lastIndexOf('/') + 1)
    const refs = []
    if (url.endsWith('.js')) {
      for (const m of text.matchAll(/(?:import|from)\s*["'`]([^"'`]+\.(?:js|css))["'`]/g)) refs.push(m[1])
    } else if (url.endsWith('.css')) {
      for (const m of text.matchAll(/url\(["']?([^"')]+)["']?\)/g)) if (!m[1].startsWith('data:')) refs.push(m[1])
    }
    for (const r of refs) queue.push(r.startsWith('/') ? r : new URL(r, 'http://x' + here).pathname)
  }
  return seen
}

const loader = readFileSync(join(dist, 'packs', 'js', 'sdk.js'))
console.log('loader  /packs/js/sdk.js'.padEnd(52), kb(loader.length).padStart(10), 'gzip', kb(gz(loader)).padStart(9))

let total = 0
let raw = 0
for (const [url, path] of entryFiles('widget')) {
  const buf = readFileSync(path)
  const size = gz(buf)
  total += size
  raw += buf.length
  console.log(('widget  ' + url).padEnd(52), kb(buf.length).padStart(10), 'gzip', kb(size).padStart(9))
}
console.log('widget  total'.padEnd(52), kb(raw).padStart(10), 'gzip', kb(total).padStart(9))
let surveyTotal = 0
let surveyRaw = 0
for (const [url, path] of entryFiles('survey')) {
  const buf = readFileSync(path)
  surveyTotal += gz(buf)
  surveyRaw += buf.length
  console.log(('survey  ' + url).padEnd(52), kb(buf.length).padStart(10), 'gzip', kb(gz(buf)).padStart(9))
}
console.log('survey  total'.padEnd(52), kb(surveyRaw).padStart(10), 'gzip', kb(surveyTotal).padStart(9))
// The survey page opens from a text message on a phone: one round of small files.
const budget = { loader: 4 * 1024, widget: 60 * 1024, survey: 40 * 1024 }
const over = []
if (surveyTotal > budget.survey) over.push('survey page over 40 KB gzip')
if (gz(loader) > budget.loader) over.push('loader over 4 KB gzip')
if (total > budget.widget) over.push('widget over 60 KB gzip')
if (over.length) {
  console.log('OVER BUDGET: ' + over.join(', '))
  process.exitCode = 1
}
