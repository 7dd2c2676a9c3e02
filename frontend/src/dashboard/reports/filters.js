// The Reports section's filter (range, grouping, business hours), shared by its screens so
// moving between them keeps what was chosen, and the window it means right now.
import { computed, reactive } from 'vue'
import { browserOffsetMinutes, groupFor, rangeOf } from './model.js'

export const filter = reactive({ range: '30', from: '', to: '', groupBy: 'day', businessHours: false })

// The browser's offset, taken once per page load (the whole section uses one offset, so
// the labels and the server's groups agree).
export const offsetMinutes = browserOffsetMinutes()

// { since, until, days, groupBy, businessHours, offsetMinutes } or { error }.
export const reportWindow = computed(() => {
  const r = rangeOf(filter, Math.floor(Date.now() / 1000), offsetMinutes)
  if (r.error) return r
  return { ...r, groupBy: groupFor(r.days, filter.groupBy), businessHours: filter.businessHours, offsetMinutes }
})
