import { describe, expect, it } from 'vitest'
import {
  autoResolveBodyOf, autoResolveFormOf, hoursBodyOf, hoursFormOf, invalidAutoResolve, invalidHours, timezones,
} from '../src/dashboard/settings/businessHours.js'

const row = (day, extra) => ({ day_of_week: day, closed_all_day: false, open_all_day: false, open_hour: 9, open_minutes: 0, close_hour: 17, close_minutes: 30, ...extra })

describe('inbox business hours form', () => {
  it('round-trips Chatwoot rows, keeps times of closed days and sends nulls for unusable ones', () => {
    const inbox = {
      timezone: 'Asia/Kolkata', working_hours_enabled: true, out_of_office_message: 'Away',
      working_hours: [row(0, { closed_all_day: true }), row(1), row(2, { open_all_day: true }), row(3), row(4), row(5), row(6)],
    }
    const f = hoursFormOf(inbox)
    expect(f.days[1]).toEqual({ day: 1, mode: 'open', open: '09:00', close: '17:30' })
    expect(f.days[0].mode).toBe('closed')
    expect(f.days[2].mode).toBe('all')
    expect(invalidHours(f)).toBe('')
    const body = hoursBodyOf(f)
    expect(body.timezone).toBe('Asia/Kolkata')
    expect(body.working_hours).toHaveLength(7)
    expect(body.working_hours[1]).toEqual(row(1))
    expect(body.working_hours[0]).toEqual(row(0, { closed_all_day: true }))
    f.days[6].mode = 'closed'
    f.days[6].open = ''
    expect(hoursBodyOf(f).working_hours[6]).toMatchObject({ closed_all_day: true, open_hour: null, close_minutes: null })
  })

  it('refuses times that close before they open, bad times and an empty greeting', () => {
    const f = hoursFormOf(null)
    expect(f.days.map((d) => d.mode)).toEqual(['closed', 'open', 'open', 'open', 'open', 'open', 'closed'])
    f.days[3].close = '08:00'
    expect(invalidHours(f)).toMatch(/Wednesday: closing time/)
    f.days[3].close = '25:00'
    expect(invalidHours(f)).toMatch(/Wednesday: times/)
    f.days[3].mode = 'closed'
    expect(invalidHours(f)).toBe('')
    f.greeting_enabled = true
    expect(invalidHours(f)).toMatch(/greeting/)
  })

  it('lists timezones with UTC first and the current one included', () => {
    const zones = timezones('Mars/Base')
    expect(zones[0]).toBe('UTC')
    expect(zones).toContain('Mars/Base')
  })
})

describe('account auto-resolve form', () => {
  it('shows minutes in the largest whole unit and sends minutes back, or null when off', () => {
    const f = autoResolveFormOf({ settings: { auto_resolve_after: 2880, auto_resolve_message: 'Bye', auto_resolve_ignore_waiting: true } })
    expect(f).toMatchObject({ enabled: true, amount: 2, unit: 'days', message: 'Bye', ignore_waiting: true })
    expect(autoResolveBodyOf(f)).toEqual({ auto_resolve_after: 2880, auto_resolve_message: 'Bye', auto_resolve_ignore_waiting: true })
    expect(autoResolveFormOf({ settings: { auto_resolve_after: 90 } })).toMatchObject({ amount: 90, unit: 'minutes' })
    f.enabled = false
    expect(autoResolveBodyOf(f).auto_resolve_after).toBeNull()
    expect(invalidAutoResolve({ enabled: true, amount: 5, unit: 'minutes' })).toMatch(/10 minutes/)
    expect(invalidAutoResolve({ enabled: true, amount: 1.5, unit: 'minutes' })).toMatch(/10 minutes/)
    expect(invalidAutoResolve({ enabled: true, amount: 1000, unit: 'days' })).toMatch(/999/)
  })
})
