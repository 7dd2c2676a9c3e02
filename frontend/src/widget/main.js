import { createApp } from 'vue'
import App from './App.vue'
import { createBridge } from './bridge.js'
import { createWidgetStore, tokenKey } from './store.js'
import './widget.css'

const params = new URLSearchParams(location.search)
const websiteToken = params.get('website_token') || ''

const key = tokenKey(websiteToken)
let local
try {
  local = window.localStorage
  local.getItem('x')
} catch (e) {
  local = undefined // blocked third-party storage (Chromium with third-party cookies blocked, incognito)
}

const embedded = window.parent !== window
// A popped-out window (top level, opened by the loader) gets the visitor's session in the
// URL fragment (never sent to a server). The embedded iframe never takes one from its URL:
// its parent hands it over by postMessage once both sides know who the other is (bridge.js).
let handed = ''
if (!embedded && location.hash.startsWith('#auth=') && websiteToken) {
  try {
    handed = decodeURIComponent(location.hash.slice(6))
  } catch (e) {
    /* malformed: ignore */
  }
}
if (location.hash) history.replaceState(null, '', location.pathname + location.search)

const memory = new Map()
function getItem(k) {
  if (local) {
    try {
      return local.getItem(k)
    } catch (e) {
      /* revoked meanwhile: fall back to memory */
    }
  }
  return memory.has(k) ? memory.get(k) : null
}
function put(k, v) {
  if (v) memory.set(k, String(v))
  else memory.delete(k)
  try {
    if (local) v ? local.setItem(k, v) : local.removeItem(k)
  } catch (e) {
    /* memory keeps it for this page */
  }
}
// Tell the loader when the session changes (new visitor, setUser, reset) so the copy it
// keeps on the customer's page follows; only ever to the origin that handed one over.
let told = ''
let bridge
function tellLoader(v) {
  v = v || ''
  if (!bridge || !bridge.target || v === told) return
  told = v
  bridge.post({ event: 'auth', token: v })
}
const storage = {
  getItem,
  setItem(k, v) {
    put(k, v)
    if (k === key) tellLoader(v)
  },
  removeItem(k) {
    put(k, '')
    if (k === key) tellLoader('')
  },
}

// The inbox's allowed domains, put in the page by the API that serves it (GET /widget).
const allowedMeta = document.querySelector('meta[name="parley-allowed-domains"]')
const allowed = ((allowedMeta && allowedMeta.content) || '').split(',').map((d) => d.trim()).filter(Boolean)

let store
bridge = createBridge(window, (msg) => store && store.onParentMessage(msg), { allowed })
store = createWidgetStore({
  websiteToken,
  storage,
  bridge,
  locale: params.get('locale') || '',
  scheme: params.get('dark_mode') || 'light',
  showPopout: params.get('show_popout') === '1' && !params.get('popout'),
})

createApp(App, { store }).mount('#app')
if (!websiteToken) {
  store.state.status = 'error'
  store.state.error = 'This chat is not available.'
} else if (embedded) {
  // The loader answers at once; without one (an iframe embedded by hand) go on alone.
  bridge.handshake(3000).then((token) => {
    // The iframe's own storage (where the browser grants it) wins over the host's copy.
    if (token && !getItem(key)) put(key, token)
    told = token && getItem(key) === token ? token : ''
    store.start().then(() => tellLoader(getItem(key)))
  })
} else {
  if (handed) put(key, handed)
  store.start()
}
