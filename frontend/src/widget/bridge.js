// The widget's side of the loader <-> iframe protocol. Messages are trusted only when they
// come from our parent window, from the parent's origin when the browser tells us what it is,
// and have the expected shape.
import { COMMANDS, decode, encode } from '../shared/protocol.js'

export function parentOrigin(win) {
  try {
    const ancestors = win.location.ancestorOrigins
    if (ancestors && ancestors.length && ancestors[0] !== 'null') return ancestors[0]
  } catch (e) {
    /* not supported */
  }
  try {
    if (win.document.referrer) return new URL(win.document.referrer).origin
  } catch (e) {
    /* unparsable referrer */
  }
  return '*'
}

export function validMessage(msg) {
  if (!msg) return false
  switch (msg.event) {
    case 'toggle':
      return typeof msg.open === 'boolean'
    case 'command':
      return COMMANDS.includes(msg.name) && Array.isArray(msg.args) && msg.args.length <= 2
    case 'popout':
      return true
    default:
      return false
  }
}

export function createBridge(win, onMessage) {
  const parent = win.parent && win.parent !== win ? win.parent : null
  const target = parent ? parentOrigin(win) : null
  function listener(e) {
    if (!parent || e.source !== parent) return
    if (target !== '*' && e.origin !== target) return
    const msg = decode(e.data)
    if (validMessage(msg)) onMessage(msg)
  }
  win.addEventListener('message', listener)
  return {
    embedded: !!parent,
    target,
    post(message) {
      if (parent) parent.postMessage(encode(message), target)
    },
    stop() {
      win.removeEventListener('message', listener)
    },
  }
}
