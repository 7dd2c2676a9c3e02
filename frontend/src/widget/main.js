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

// The visitor's session can come in the URL fragment (never sent to a server): a popped-out
// window gets it from the widget, and the embedded iframe from the loader, which keeps a copy
// on the customer's page (first-party storage, like Chatwoot's cw_conversation cookie) for
// browsers that deny this iframe its storage. Keep it and clean the address bar.
let handed = ''
if (location.hash.startsWith('#auth=') && websiteToken) {
  try {
    handed = decodeURIComponent(location.hash.slice(6))
  } catch (e) {
    /* malformed: ignore */
  }
  history.replaceState(null, '', location.pathname + location.search)
}

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
// A popout uses the session it was handed; the embedded iframe prefers its own storage.
const embedded = window.parent !== window
if (handed && (!embedded || !getItem(key))) put(key, handed)

// Tell the loader when the session changes (new visitor, setUser, reset) so its copy follows.
let told = getItem(key) || ''
let bridge
function tellLoader(v) {
  v = v || ''
  if (!bridge || !bridge.embedded || bridge.target === '*' || v === told) return // only to a known origin
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

let store
bridge = createBridge(window, (msg) => store && store.onParentMessage(msg))
store = createWidgetStore({
  websiteToken,
  storage,
  bridge,
  locale: params.get('locale') || '',
  scheme: params.get('dark_mode') || 'light',
  showPopout: params.get('show_popout') === '1' && !params.get('popout'),
})

createApp(App, { store }).mount('#app')
if (websiteToken) store.start()
else {
  store.state.status = 'error'
  store.state.error = 'This chat is not available.'
}
