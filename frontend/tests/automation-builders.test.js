import { describe, expect, it } from 'vitest'
import { cleanActions, cleanConditions, conditionKeys, describeAction } from '../src/dashboard/settings/automation.js'

describe('automation builders', () => {
  it('sends Chatwoot conditions: no query_operator on the last, no values for presence', () => {
    const body = cleanConditions([
      { attribute_key: 'content', filter_operator: 'contains', values: ['refund', ''], query_operator: 'or', text: 'x' },
      { attribute_key: 'assignee_id', filter_operator: 'is_present', values: ['3'], query_operator: 'and' },
    ])
    expect(body).toEqual([
      { attribute_key: 'content', filter_operator: 'contains', values: ['refund'], query_operator: 'or' },
      { attribute_key: 'assignee_id', filter_operator: 'is_present', values: [], query_operator: null },
    ])
  })

  it('drops parameters of actions that take none', () => {
    expect(cleanActions([{ action_name: 'resolve_conversation', action_params: ['x'] }, { action_name: 'add_label', action_params: ['vip', ''] }]))
      .toEqual([{ action_name: 'resolve_conversation', action_params: [] }, { action_name: 'add_label', action_params: ['vip'] }])
  })

  it('offers message conditions only for message_created', () => {
    expect(conditionKeys('message_created')).toContain('content')
    expect(conditionKeys('conversation_created')).not.toContain('content')
    expect(conditionKeys('conversation_created')).toContain('status')
  })

  it('describes actions with names instead of ids', () => {
    expect(describeAction({ action_name: 'assign_team', action_params: [2] }, { teams: [{ id: 2, name: 'Billing' }] })).toBe('Assign to team: Billing')
    expect(describeAction({ action_name: 'assign_agent', action_params: ['self'] })).toBe('Assign to agent: the agent running it')
    expect(describeAction({ action_name: 'resolve_conversation', action_params: [] })).toBe('Resolve')
  })
})
