// An article's HTML as the widget shows it. The server already sanitises it (nh3 with an
// allow-list); this is the widget's own second line, so that a bug or an old cached copy
// can never run script inside the widget's origin, where the visitor's token lives.
// The HTML is parsed into an inert document (DOMParser: nothing in it runs or loads), kept
// to an allow-list of elements and attributes, and serialised again for v-html.
// Links open in a new tab, without an opener; relative ones resolve against the article's
// public page. Loaded with the article view only (a lazy chunk).

const KEEP = new Set(
  ('a abbr b blockquote br caption code dd del details div dl dt em figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s small span strong sub summary sup table tbody td tfoot th thead tr u ul').split(' '),
)
// Elements dropped with everything inside them (the rest of the unknown ones are unwrapped).
const DROP = new Set(
  ('script style iframe frame frameset object embed applet template noscript svg math form input button select textarea option link meta base title head audio video source track canvas portal dialog').split(' '),
)
const ATTRS = {
  '*': ['title', 'lang', 'dir'],
  a: ['href'],
  img: ['src', 'alt', 'width', 'height'],
  td: ['colspan', 'rowspan', 'align'],
  th: ['colspan', 'rowspan', 'align', 'scope'],
  ol: ['start', 'reversed'],
  code: ['class'],
  pre: ['class'],
  span: ['class'],
  div: ['class'],
}
const CLASS_RE = /^[\w -]{0,80}$/

// An http(s)/mailto/tel URL, resolved against `base`; '' for anything else
// (javascript:, data:, vbscript:, blob:, ... however it is spelled).
export function safeHref(value, base, schemes = ['http:', 'https:', 'mailto:', 'tel:']) {
  if (typeof value !== 'string') return ''
  const v = value.trim()
  if (!v) return ''
  try {
    const u = new URL(v, base)
    return schemes.includes(u.protocol) ? u.href : ''
  } catch {
    return ''
  }
}

function clean(node, base) {
  for (const child of Array.from(node.childNodes)) {
    if (child.nodeType === 3) continue // text
    if (child.nodeType !== 1) {
      child.remove() // comments, processing instructions, CDATA
      continue
    }
    const tag = child.localName
    if (DROP.has(tag) || child.namespaceURI !== 'http://www.w3.org/1999/xhtml') {
      child.remove()
      continue
    }
    clean(child, base)
    if (!KEEP.has(tag)) {
      child.replaceWith(...Array.from(child.childNodes))
      continue
    }
    const allowed = ATTRS[tag] || []
    for (const attr of Array.from(child.attributes)) {
      const name = attr.name.toLowerCase()
      if (!ATTRS['*'].includes(name) && !allowed.includes(name)) child.removeAttribute(attr.name)
      else if (name === 'class' && !CLASS_RE.test(attr.value)) child.removeAttribute(attr.name)
    }
    if (tag === 'a') {
      const href = safeHref(child.getAttribute('href'), base)
      if (href) {
        child.setAttribute('href', href)
        child.setAttribute('target', '_blank')
        child.setAttribute('rel', 'noopener noreferrer nofollow')
      } else child.removeAttribute('href')
    } else if (tag === 'img') {
      const src = safeHref(child.getAttribute('src'), base, ['http:', 'https:'])
      if (!src) {
        child.remove()
        continue
      }
      child.setAttribute('src', src)
      child.setAttribute('loading', 'lazy')
      child.setAttribute('referrerpolicy', 'no-referrer')
    }
  }
}

// `base`: the article's public page (absolute), which relative links and `#anchors` open.
export function articleHtml(html, base, parser = new DOMParser()) {
  if (typeof html !== 'string' || !html) return ''
  const doc = parser.parseFromString('<!doctype html><body>' + html, 'text/html')
  const body = doc.body
  if (!body) return ''
  clean(body, base)
  return body.innerHTML
}
