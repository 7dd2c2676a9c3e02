// The widget's side of the loader <-> iframe protocol.
//
// Handshake: the iframe says `hello` (no data, the one message it sends before it knows
// who its parent is); the loader checks the answer came from Parley's origin and hands
// over the visitor's session (`session`). The iframe takes that only from its real parent
// (event.source) on an allowed origin (the inbox's allowed domains, when set), and from
// then on talks to that origin alone: tokens and popout URLs never go to '*'.
import { COMMANDS, decode, encode } from '../shared/protocol.js'

const MAX_TOKEN = 4096

// One entry of the inbox's allowed_domains against an origin, as CSP frame-ancestors
// matches a host source: optional scheme, exact host or *.suffix, the default port
// unless the entry names one (or *).
function entryMatches(entry, url) {
  const m = /^(?:(https?):\/\/)?(\*\.)?([^:/]+)(?::(\*|\d+))?$/.exec(entry)
  if (!m) return false
  const [, scheme, wildcard, host, port] = m
  if (scheme && url.protocol !== scheme + ':') return false
  const name = url.hostname.toLowerCase()
  if (wildcard ? !name.endsWith('.' + host) : name !== host) return false
  return port === '*' || (port || '') === url.port
}

export function originAllowed(origin, allowed) {
  if (!allowed || !allowed.length) return true
  let url
  try {
    url = new URL(origin)
  } catch (e) {
    return false
  }
  return allowed.some((entry) => entryMatches(String(entry).toLowerCase(), url))
}

export function validMessage(msg) {
  if (!msg) return false
  switch (msg.event) {
    case 'session':
      return typeof msg.token === 'string' && msg.token.length <= MAX_TOKEN
    case 'toggle':
      return typeof msg.open === 'boolean'
    case 'command':
      return COMMANDS.includes(msg.name) && Array.isArray(msg.args) && msg.args.length <= 2
    case 'popout':
      return true
    case 'campaign':
      return Number.isInteger(msg.id)
    default:
      return false
  }
}

export function createBridge(win, onMessage, { allowed = [] } = {}) {
  const parent = win.parent && win.parent !== win ? win.parent : null
  let target = null // the parent's origin, once it has handed over a session
  let handed = null
  function listener(e) {
    if (!parent || e.source !== parent) return
    const msg = decode(e.data)
    if (!validMessage(msg)) return
    if (msg.event === 'session') {
      if (target || !handed || !originAllowed(e.origin, allowed)) return
      target = e.origin
      handed(msg.token)
    } else if (target && e.origin === target) onMessage(msg)
  }
  win.addEventListener('message', listener)
  return {
    embedded: !!parent,
    get target() {
      return target
    },
    // Resolves with the session the loader kept on the host page ('' for none, or when
    // no loader answers in time: an iframe embedded without sdk.js).
    handshake(timeoutMs) {
      if (!parent) return Promise.resolve('')
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(''), timeoutMs)
        handed = (token) => {
          clearTimeout(timer)
          resolve(token)
        }
        parent.postMessage(encode({ event: 'hello' }), '*')
      })
    },
    post(message) {
      if (parent && target) parent.postMessage(encode(message), target)
    },
    stop() {
      win.removeEventListener('message', listener)
    },
  }
}
