// The account's portals, shared by the help center's screens (the side navigation lists
// them; a screen finds its portal by the route's slug). Loaded once per account.
import { reactive } from 'vue'
import { listPortals } from './api.js'

export const portals = reactive({ accountId: null, items: [], loading: false, loaded: false, error: '' })

export async function loadPortals(accountId, { force = false } = {}) {
  if (!force && portals.accountId === accountId && (portals.loaded || portals.loading)) return
  Object.assign(portals, { accountId, loading: true, error: '' })
  try {
    portals.items = await listPortals(accountId)
  } catch (err) {
    portals.error = err.message
  } finally {
    Object.assign(portals, { loading: false, loaded: true })
  }
}

export const portalBySlug = (slug) => portals.items.find((p) => p.slug === slug) || null

// After a create or an update (which may change the slug: `was` is the old one).
export function keepPortal(portal, was = portal.slug) {
  const i = portals.items.findIndex((p) => p.slug === was || p.id === portal.id)
  if (i === -1) portals.items = portals.items.concat(portal)
  else portals.items = portals.items.map((p, j) => (j === i ? portal : p))
}

export function dropPortal(slug) {
  portals.items = portals.items.filter((p) => p.slug !== slug)
}
