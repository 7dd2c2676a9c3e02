// The campaigns API of the account (docs/campaigns.md): the collection is resource.js's;
// these are the calls around it. audience, recipients and sync_templates come with one-off
// sending: until the server has them they answer 404, and the screens say so.
import { api } from '../session.js'
import { accountPath, listOf } from '../settings/resource.js'

export const campaignsPath = (accountId) => accountPath(accountId, 'campaigns')

// How many contacts the audience would reach on the inbox now: { audience_size }.
export const audienceSize = (accountId, inboxId, audience) =>
  api.post(accountPath(accountId, 'campaigns', 'audience'), { inbox_id: Number(inboxId), audience })

// One page (25) of a campaign's recipients with `status`: { payload, meta: { count, current_page } }.
export async function recipients(accountId, campaignId, status, page = 1) {
  const res = await api.get(accountPath(accountId, 'campaigns', campaignId, 'recipients'), { status, page })
  return { items: listOf(res), count: Number(res && res.meta && res.meta.count) || 0, page: Number(res && res.meta && res.meta.current_page) || page }
}

export const inbox = (accountId, inboxId) => api.get(accountPath(accountId, 'inboxes', inboxId))
export const syncTemplates = (accountId, inboxId) => api.post(accountPath(accountId, 'inboxes', inboxId, 'sync_templates'), {})
