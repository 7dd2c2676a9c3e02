// Agents and their availability. Presence is live only (never replayed by a resume), so
// the agents list is read again after every resume.done: a change made before this socket
// was registered is in that read, every later one arrives as a frame. A frame that lands
// while the read is in flight is newer than the read, so the read does not overwrite it.
import { endpoints } from '../../shared/endpoints.js'

const PRESENCE = { available: 'online', online: 'online', busy: 'busy', offline: 'offline' }
export const normalizeAvailability = (v) => PRESENCE[v] || 'offline'

export function createPresence(ctx) {
  const { api, paths, state, me, accountId } = ctx
  let presenceTick = 0
  const presenceSetAt = {} // user id -> presenceTick of its last live change

  function setPresence(id, availability) {
    presenceSetAt[id] = ++presenceTick
    state.presence[id] = normalizeAvailability(availability)
  }

  async function loadAgents() {
    const asked = presenceTick
    try {
      const res = await api.get(paths.resource('agents'))
      state.agents = Array.isArray(res) ? res : (res && res.payload) || []
      for (const a of state.agents) {
        if ((presenceSetAt[a.id] || 0) <= asked) state.presence[a.id] = normalizeAvailability(a.availability_status)
      }
    } catch (err) {
      state.agents = []
    }
  }

  function availabilityOf(userId) {
    return state.presence[userId] || 'offline'
  }

  async function setAvailability(value) {
    const res = await api.post(endpoints.availability, { profile: { availability: value, account_id: accountId } })
    setPresence(me.id, value)
    return res
  }

  return { setPresence, loadAgents, availabilityOf, setAvailability }
}
