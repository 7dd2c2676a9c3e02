// The dashboard's live data for one account. REST loads the snapshot; realtime frames keep
// it current. One reactive state, one module per concern (src/dashboard/inbox/):
//   list.js          the conversation list, its filter, pages and counts
//   conversation.js  the open conversation's messages, read state, replies (shared/outbox)
//   changes.js       status, assignee, labels, priority, typing of a conversation
//   account.js       the account's inboxes, labels and canned responses
//   presence.js      agents and their availability
//   live.js          the socket and the frames it delivers
// Modules reach each other through `ctx`, which holds every module's functions.
import { reactive } from 'vue'
import { accountEndpoints } from '../shared/endpoints.js'
import { activityOf, createList } from './inbox/list.js'
import { createConversation } from './inbox/conversation.js'
import { createChanges } from './inbox/changes.js'
import { createAccountLists } from './inbox/account.js'
import { createPresence, normalizeAvailability } from './inbox/presence.js'
import { createLive } from './inbox/live.js'

export { activityOf, normalizeAvailability }

export function createInboxStore({ api, accountId, me, realtimeFactory, wsUrl, token, onRevoked }) {
  const state = reactive({
    tab: 'mine',
    status: 'open',
    conversations: {},
    removed: {}, // ids of conversations deleted while the dashboard is open
    counts: { mine_count: 0, unassigned_count: 0, all_count: 0 },
    page: 1,
    morePages: false,
    loadingList: false,
    listError: '',
    activeId: null,
    messages: {},
    hasOlder: {},
    loadingOlder: false,
    typing: {},
    agents: [],
    presence: {},
    contactPresence: {},
    inboxes: {},
    labels: null, // the account's labels (null until loaded; [] when the endpoint is missing)
    connection: 'connecting',
  })
  const ctx = { api, paths: accountEndpoints(accountId), state, me, accountId }
  const { stopList, ...list } = createList(ctx)
  Object.assign(ctx, list)
  Object.assign(ctx, createConversation(ctx), createChanges(ctx), createAccountLists(ctx), createPresence(ctx))
  const { connect, disconnect, ...live } = createLive(ctx, { realtimeFactory, wsUrl, token, onRevoked })
  Object.assign(ctx, live)

  function stop() {
    stopList()
    disconnect()
  }

  async function start() {
    connect()
    await Promise.all([ctx.loadList({ reset: true }), ctx.loadAgents(), ctx.loadInboxes()])
  }

  const { api: _api, paths: _paths, me: _me, accountId: _accountId, setPresence: _setPresence, scheduleRefresh: _refresh, bump: _bump, ...actions } = ctx
  return { ...actions, state, start, stop }
}
