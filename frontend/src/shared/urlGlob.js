// Campaign URL globs, the loader's copy of layers/shared/parley/services/rules/url_glob.py
// `matches`: `*` any run of characters, `?` one character (a code point, as Python counts),
// everything else literal, case-sensitive, the whole URL. A two-pointer walk with one
// backtrack point (the last `*`): linear-ish time whatever the pattern (no RegExp).
// Both are checked against tests/fixtures/url_glob_vectors.json.
export function globMatch(pattern, url) {
  const p = Array.from(pattern)
  const u = Array.from(url)
  let i = 0
  let j = 0
  let star = -1
  let mark = 0
  while (j < u.length) {
    if (i < p.length && (p[i] === '?' || (p[i] !== '*' && p[i] === u[j]))) {
      i++
      j++
    } else if (i < p.length && p[i] === '*') {
      while (p[i] === '*') i++
      star = i
      mark = j
    } else if (star >= 0) {
      i = star
      j = ++mark
    } else return false
  }
  while (p[i] === '*') i++
  return i === p.length
}
