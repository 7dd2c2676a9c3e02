// The reply box's "/" picker: a reply that starts with "/" (and has no space yet) lists the
// account's canned responses whose short code or content contains what follows the slash
// (GET canned_responses?search=, short-code matches first). Arrow keys move, Enter or Tab
// inserts, Escape dismisses. Results for a query that is no longer current are dropped.
import { reactive } from 'vue'

export const MAX_OPTIONS = 8

// "/thx" → "thx", "/" → "", anything else (no slash first, or a space typed) → null.
export function slashQuery(text) {
  const m = /^\/([^\s/]*)$/.exec(text || '')
  return m ? m[1] : null
}

// What the reply becomes when a response is picked: the "/code" is replaced by its content.
export function insertCanned(text, content) {
  const t = String(text || '')
  // A function, so "$&" in a response is inserted literally.
  return /^\/[^\s/]*/.test(t) ? t.replace(/^\/[^\s/]*/, () => content) : content
}

export function localMatches(items, query) {
  const q = (query || '').toLowerCase()
  if (!q) return items.slice()
  const code = items.filter((r) => (r.short_code || '').toLowerCase().includes(q))
  const content = items.filter((r) => !code.includes(r) && (r.content || '').toLowerCase().includes(q))
  return code.concat(content)
}

export function createCannedPicker({ search, delay = 120 }) {
  const state = reactive({ open: false, query: null, items: [], index: 0, loading: false, error: '' })
  let seq = 0
  let timer = null
  let dismissed = null // the text Escape was pressed on: stay closed until it changes

  function close() {
    clearTimeout(timer)
    seq++
    Object.assign(state, { open: false, query: null, items: [], index: 0, loading: false, error: '' })
  }

  function update(text) {
    const q = slashQuery(text)
    if (q === null || text === dismissed) {
      if (q === null) dismissed = null
      if (state.open) close()
      return
    }
    dismissed = null
    if (state.open && q === state.query) return
    state.open = true
    state.query = q
    // Until the server answers, narrow what we have (it only ever gets more specific).
    state.items = localMatches(state.items, q)
    state.index = 0
    state.loading = true
    state.error = ''
    clearTimeout(timer)
    const mine = ++seq
    timer = setTimeout(async () => {
      try {
        const found = await search(q)
        if (mine !== seq) return
        state.items = (Array.isArray(found) ? found : []).slice(0, MAX_OPTIONS)
        state.index = 0
      } catch (err) {
        if (mine !== seq) return
        state.items = []
        state.error = err.status === 404 ? 'Canned responses are not available.' : err.message
      } finally {
        if (mine === seq) state.loading = false
      }
    }, q ? delay : 0)
  }

  function move(step) {
    const n = state.items.length
    if (!n) return
    state.index = (state.index + step + n) % n
  }

  // The picked response (and the picker closes), or null.
  function pick(i = state.index) {
    const item = state.items[i]
    if (!item) return null
    close()
    return item
  }

  function dismiss(text) {
    dismissed = text
    close()
  }

  // Keyboard handling for the textarea. Returns {handled, item}: handled means the caller
  // must not act on the key (preventDefault is done here); item is the response to insert.
  function keydown(e, text) {
    if (!state.open || e.isComposing) return { handled: false, item: null }
    const swallow = (item = null) => {
      e.preventDefault()
      return { handled: true, item }
    }
    switch (e.key) {
      case 'ArrowDown':
        move(1)
        return swallow()
      case 'ArrowUp':
        move(-1)
        return swallow()
      case 'Enter':
      case 'Tab':
        if (e.shiftKey) return { handled: false, item: null }
        if (state.items.length) return swallow(pick())
        // Still looking: don't send "/thx" by accident. Nothing matched: a normal Enter.
        if (state.loading) return swallow()
        return { handled: false, item: null }
      case 'Escape':
        dismiss(text)
        return swallow()
    }
    return { handled: false, item: null }
  }

  return { state, update, move, pick, close, dismiss, keydown }
}
