// Keyboard shortcuts of the conversations screen. Single keys, no modifiers, and never
// while the focus is somewhere one types (input, textarea, select, contenteditable): there
// the key is just a letter. `?` (the help overlay) works on every dashboard page.
import { ref } from 'vue'

// Whether the help overlay is open (AppShell shows it; any other shortcut closes it).
export const helpOpen = ref(false)

export const SHORTCUTS = [
  { key: 'r', action: 'reply', label: 'Write a reply (focus the reply box)' },
  { key: 'n', action: 'note', label: 'Write a private note' },
  { key: 'e', action: 'resolve', label: 'Resolve the open conversation' },
  { key: 'j', action: 'next', label: 'Next conversation in the list' },
  { key: 'k', action: 'prev', label: 'Previous conversation in the list' },
  { key: '?', action: 'help', label: 'Show or hide this list' },
]
// Inside the reply box: not global shortcuts, listed in the help for completeness.
export const REPLY_KEYS = [
  { key: 'Enter', label: 'Send (or insert the highlighted canned response)' },
  { key: 'Shift+Enter', label: 'New line' },
  { key: '/', label: 'At the start of a reply: canned responses (↑ ↓ to choose)' },
  { key: 'Esc', label: 'Leave the reply box (then the shortcuts above work)' },
]

const BY_KEY = Object.fromEntries(SHORTCUTS.map((s) => [s.key, s.action]))

export function isEditable(el) {
  if (!el || el.nodeType !== 1) return false
  const tag = el.tagName
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  if (tag === 'INPUT') {
    const type = (el.getAttribute('type') || 'text').toLowerCase()
    return !['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file', 'image'].includes(type)
  }
  return !!el.isContentEditable || el.getAttribute('contenteditable') === 'true'
}

// The action a keydown means, or null.
export function shortcutFor(e) {
  if (!e || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return null
  if (isEditable(e.target)) return null
  if (e.key === '?') return 'help'
  if (e.shiftKey || typeof e.key !== 'string' || e.key.length !== 1) return null
  return BY_KEY[e.key.toLowerCase()] || null
}

// The id `step` places from `current` in `ids` (no wrapping), or the first one when the
// current conversation is not in the list. null when there is nowhere to go.
export function neighbour(ids, current, step) {
  if (!ids.length) return null
  const i = ids.indexOf(current)
  if (i === -1) return ids[0]
  const j = i + step
  return j < 0 || j >= ids.length ? null : ids[j]
}

// Listens on `target` (the document); handlers[action](event) runs the action. A handler
// returning false lets the browser have the key. Returns the function that stops listening.
export function bindShortcuts(handlers, target = globalThis.document) {
  const listener = (e) => {
    const action = shortcutFor(e)
    if (!action || !handlers[action]) return
    if (handlers[action](e) !== false) e.preventDefault()
  }
  target.addEventListener('keydown', listener)
  return () => target.removeEventListener('keydown', listener)
}
