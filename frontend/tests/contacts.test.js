import { describe, expect, it } from 'vitest'
import { FILTER_ATTRIBUTES, blankCondition, filterPayload, filterProblem, percent } from '../src/dashboard/contacts.js'

describe('contacts filter builder', () => {
  it("builds Chatwoot's payload: each condition's query_operator joins it to the next", () => {
    const rows = [
      { attribute_key: 'city', filter_operator: 'equal_to', value: ' Oslo ', join: 'OR' },
      { attribute_key: 'labels', filter_operator: 'is_present', value: 'ignored', join: 'AND' },
      { attribute_key: 'email', filter_operator: 'contains', value: 'acme', join: 'OR' },
    ]
    expect(filterPayload(rows)).toEqual([
      { attribute_key: 'city', filter_operator: 'equal_to', values: ['Oslo'], query_operator: 'OR' },
      { attribute_key: 'labels', filter_operator: 'is_present', values: [], query_operator: 'AND' },
      { attribute_key: 'email', filter_operator: 'contains', values: ['acme'] },
    ])
  })

  it('explains what is missing before sending', () => {
    expect(filterProblem([])).toBe('Add a condition.')
    expect(filterProblem([{ ...blankCondition(), value: '  ' }])).toBe('Name: enter a value.')
    expect(filterProblem([{ attribute_key: 'identifier', filter_operator: 'contains', value: 'x' }])).toBe('Identifier: choose an operator.')
    expect(filterProblem([{ attribute_key: 'labels', filter_operator: 'is_not_present', value: '' }])).toBe('')
  })

  it("offers only the server's filter keys and each one's operators", () => {
    expect(FILTER_ATTRIBUTES.map((a) => a.key)).toEqual(['name', 'email', 'phone_number', 'identifier', 'city', 'company',
      'country_code', 'labels', 'blocked', 'created_at', 'last_activity_at'])
    expect(FILTER_ATTRIBUTES.find((a) => a.key === 'blocked').values).toEqual(['true', 'false'])
  })

  it('turns an import record into a percentage', () => {
    expect(percent(null)).toBe(0)
    expect(percent({ total_rows: 0 })).toBe(0)
    expect(percent({ total_rows: 8, processed_rows: 3 })).toBe(38)
  })
})
