// One live inbox store per signed-in account, shared by every page of the shell.
import { shallowRef } from 'vue'
import { api, endSession, revokedNotice, session } from './session.js'
import { createInboxStore } from './store.js'

export const inbox = shallowRef(null)
let accountOf = null

export function useInbox() {
  const accountId = session.accountId
  if (!session.token || accountId == null) {
    stopInbox()
    return null
  }
  if (inbox.value && accountOf === accountId) return inbox.value
  stopInbox()
  const store = createInboxStore({
    api,
    accountId,
    me: session.user || {},
    token: session.token,
    wsUrl: (window.globalConfig || {}).WEBSOCKET_URL,
    onRevoked: (reason) => {
      const notice = revokedNotice(reason)
      if (notice === null) return
      stopInbox() // no reconnect with a token the server no longer accepts
      endSession(notice)
    },
  })
  accountOf = accountId
  inbox.value = store
  store.start()
  return store
}

export function stopInbox() {
  if (inbox.value) inbox.value.stop()
  inbox.value = null
  accountOf = null
}
