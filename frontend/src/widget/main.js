import { createApp } from 'vue'
import App from './App.vue'
import { createBridge } from './bridge.js'
import { createWidgetStore, tokenKey } from './store.js'
import './widget.css'

const params = new URLSearchParams(location.search)
const websiteToken = params.get('website_token') || ''

let storage
try {
  storage = window.localStorage
  storage.getItem('x')
} catch (e) {
  storage = undefined // blocked third-party storage: a per-page session
}

// A popped-out window gets the visitor's session in the URL fragment (never sent to a
// server); keep it and clean the address bar.
if (location.hash.startsWith('#auth=') && websiteToken) {
  try {
    storage && storage.setItem(tokenKey(websiteToken), decodeURIComponent(location.hash.slice(6)))
  } catch (e) {
    /* ignore */
  }
  history.replaceState(null, '', location.pathname + location.search)
}

let store
const bridge = createBridge(window, (msg) => store && store.onParentMessage(msg))
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
