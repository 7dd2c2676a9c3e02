// The SLA helpers (src/dashboard/sla.js): thresholds in the settings form, the badge's text,
// the report's query.
import { describe, expect, it } from 'vitest'
import { durationText, fromSeconds, hitRateNumber, slaBadge, slaQuery, toSeconds } from '../src/dashboard/sla.js'

describe('SLA thresholds', () => {
  it('turns a value and unit into seconds, refusing what the server would', () => {
    expect(toSeconds('10', 'minutes')).toBe(600)
    expect(toSeconds('1.5', 'hours')).toBe(5400)
    expect(toSeconds('2', 'days')).toBe(172800)
    expect(toSeconds('', 'minutes')).toBe(null)
    expect(toSeconds('-5', 'minutes')).toBe(undefined)
    expect(toSeconds('abc', 'minutes')).toBe(undefined)
    expect(toSeconds('0.5', 'minutes')).toBe(undefined) // under a minute
  })
  it('shows seconds in the largest whole unit', () => {
    expect(fromSeconds(7200, 'k')).toEqual({ k: '2', k_unit: 'hours' })
    expect(fromSeconds(86400, 'k')).toEqual({ k: '1', k_unit: 'days' })
    expect(fromSeconds(900, 'k')).toEqual({ k: '15', k_unit: 'minutes' })
    expect(fromSeconds(null, 'k')).toEqual({ k: '', k_unit: 'minutes' })
  })
  it('writes durations shortly', () => {
    expect(durationText(5400)).toBe('1h 30m')
    expect(durationText(90061)).toBe('1d 1h')
    expect(durationText(30)).toBe('0m')
  })
})

describe('SLA badge', () => {
  const sla = { sla_name: 'Gold', sla_status: 'active', next_due_at: 1000 + 600, due_type: 'frt' }
  it('shows the running clock and its time left', () => {
    const b = slaBadge({ applied_sla: sla, sla_events: [] }, 1000)
    expect(b.text).toBe('FRT 10m')
    expect(b.tone).toBe('ok')
    expect(b.title).toContain('first response due in 10m')
  })
  it('turns bad once the deadline passed or a miss happened', () => {
    expect(slaBadge({ applied_sla: sla }, 2000).tone).toBe('bad')
    const missed = slaBadge({ applied_sla: { ...sla, sla_status: 'missed', next_due_at: null }, sla_events: [{ event_type: 'frt' }] }, 2000)
    expect(missed.text).toBe('SLA missed')
    expect(missed.title).toContain('first response')
  })
  it('says nothing without an SLA', () => {
    expect(slaBadge({ id: 1 })).toBe(null)
  })
})

describe('SLA report', () => {
  it('reads the hit rate and builds the query', () => {
    expect(hitRateNumber('87.5%')).toBe(87.5)
    expect(hitRateNumber('100%')).toBe(100)
    expect(slaQuery({ since: 10, until: 20 }, { sla_policy_id: '3', inbox_id: '', team_id: '' })).toEqual({
      query: { since: '10', until: '20', sla_policy_id: '3' } })
    expect(slaQuery({ error: 'bad range' }, {})).toEqual({ error: 'bad range' })
  })
})
