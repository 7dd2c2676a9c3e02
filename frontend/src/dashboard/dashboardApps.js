// Dashboard apps (Chatwoot's): an administrator's https page shown in a sandboxed frame
// beside a conversation, told about that conversation by postMessage the way Chatwoot's
// dashboard tells its apps (docs/security.md, "Dashboard apps"):
//
//   dashboard -> app  JSON.stringify({ event: 'appContext', data: { conversation, contact, currentAgent } })
//                     on the frame's load, when the conversation changes, and in answer to:
//   app -> dashboard  'chatwoot-dashboard-app:fetch-info'
//
// The context holds customer data, so it goes to the app's own origin only (targetOrigin is
// new URL(app url).origin, never '*': if the frame has navigated elsewhere the browser drops
// it), and a request is answered only when it comes from that frame (event.source) AND that
// origin (event.origin).
import { reactive, ref } from 'vue'
import { api } from './session.js'
import { accountEndpoints } from '../shared/endpoints.js'

export const FETCH_INFO = 'chatwoot-dashboard-app:fetch-info'
export const APP_CONTEXT = 'appContext'
// allow-same-origin keeps the app its own origin (its cookies and storage, its own API
// calls): without it the page runs as an opaque origin and most apps break. Together with
// allow-scripts it would let a page of the dashboard's own origin reach into the dashboard,
// so a frame is never shown for an app on this origin (appOrigin refuses it). No
// allow-top-navigation: an app cannot navigate the dashboard away.
export const SANDBOX = 'allow-scripts allow-forms allow-same-origin allow-popups'

// The origin context may be posted to: the app URL's, if it is https and not this
// dashboard's own origin; null otherwise (no frame is shown).
export function appOrigin(url, ownOrigin = globalThis.location ? globalThis.location.origin : '') {
  let parsed
  try {
    parsed = new URL(url)
  } catch {
    return null
  }
  if (parsed.protocol !== 'https:' || parsed.origin === ownOrigin) return null
  return parsed.origin
}

export const frameUrl = (app) => {
  const frame = ((app && app.content) || []).find((c) => c && c.type === 'frame' && c.url)
  return frame ? frame.url : ''
}

// Plain JSON of what the app is told: the conversation, its contact, the agent.
export function appContext(conversation, contact, user) {
  const agent = user ? { id: user.id, name: user.name, email: user.email } : null
  return JSON.parse(JSON.stringify({ conversation: conversation || null, contact: contact || null, currentAgent: agent }))
}

// Posts the context to `frameWindow`, addressed to `origin` only.
export function sendContext(frameWindow, origin, context) {
  if (!frameWindow || !origin) return false
  frameWindow.postMessage(JSON.stringify({ event: APP_CONTEXT, data: context }), origin)
  return true
}

// Whether `event` is the app asking for the context: its own frame, its own origin.
export function isFetchInfo(event, frameWindow, origin) {
  return !!event && !!origin && event.origin === origin && !!frameWindow && event.source === frameWindow && event.data === FETCH_INFO
}

// One app frame's side of the protocol. `frame()` is the <iframe> element (or null while
// not mounted), `context()` what to send. listen() starts answering requests (and returns
// the function that stops it); loaded() and changed() send the context.
export function createAppBridge({ url, frame, context, target = globalThis }) {
  const origin = appOrigin(url)
  const win = () => {
    const el = frame()
    return el ? el.contentWindow : null
  }
  const send = () => sendContext(win(), origin, context())
  function onMessage(event) {
    if (isFetchInfo(event, win(), origin)) send()
  }
  return {
    origin,
    loaded: send,
    changed: send,
    onMessage,
    listen() {
      target.addEventListener('message', onMessage)
      return () => target.removeEventListener('message', onMessage)
    },
  }
}

// The tab chosen beside conversations ('contact' or 'app-<id>'): it stays chosen from one
// conversation to the next.
export const sideTab = ref('contact')

// The account's dashboard apps, loaded once per account and shared by every conversation.
const byAccount = reactive({})

export function dashboardAppsOf(accountId) {
  if (!byAccount[accountId]) {
    byAccount[accountId] = { items: [], loaded: false }
    api
      .get(accountEndpoints(accountId).dashboardApps())
      .then((res) => (byAccount[accountId].items = Array.isArray(res) ? res : []))
      .catch(() => {}) // no apps then: the conversation still works
      .finally(() => (byAccount[accountId].loaded = true))
  }
  return byAccount[accountId]
}

// After the settings screen changes the apps: the next conversation opened loads them again.
export function forgetDashboardApps(accountId) {
  delete byAccount[accountId]
}
