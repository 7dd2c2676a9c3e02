// What macros and automation rules are made of (Chatwoot's names), for the builders.
// The server checks everything again; these lists only shape the forms.

export const ACTIONS = {
  assign_agent: { label: 'Assign to agent', param: 'agent' },
  assign_team: { label: 'Assign to team', param: 'team' },
  remove_assigned_team: { label: 'Remove the team', param: null },
  add_label: { label: 'Add labels', param: 'labels' },
  remove_label: { label: 'Remove labels', param: 'labels' },
  send_message: { label: 'Send a message', param: 'text' },
  add_private_note: { label: 'Add a private note', param: 'text' },
  change_status: { label: 'Change status', param: 'status' },
  change_priority: { label: 'Change priority', param: 'priority' },
  snooze_conversation: { label: 'Snooze', param: null },
  resolve_conversation: { label: 'Resolve', param: null },
  mute_conversation: { label: 'Mute', param: null },
  add_sla: { label: 'Add SLA', param: 'sla', rulesOnly: true },
}
export const MACRO_ACTIONS = Object.keys(ACTIONS).filter((n) => !ACTIONS[n].rulesOnly)
export const RULE_ACTIONS = Object.keys(ACTIONS).filter((n) => n !== 'remove_assigned_team')

export const STATUSES = ['open', 'pending', 'resolved', 'snoozed']
export const PRIORITIES = ['urgent', 'high', 'medium', 'low']

export const EVENTS = [
  { key: 'conversation_created', label: 'Conversation created' },
  { key: 'conversation_updated', label: 'Conversation updated' },
  { key: 'conversation_opened', label: 'Conversation opened' },
  { key: 'conversation_resolved', label: 'Conversation resolved' },
  { key: 'message_created', label: 'Message created' },
  { key: 'sla_missed', label: 'SLA missed' },
]

const EQ = ['equal_to', 'not_equal_to']
const TEXT = ['equal_to', 'not_equal_to', 'contains', 'does_not_contain']
const PRESENT = ['is_present', 'is_not_present']
export const OPERATOR_LABELS = {
  equal_to: 'is',
  not_equal_to: 'is not',
  contains: 'contains',
  does_not_contain: 'does not contain',
  starts_with: 'starts with',
  is_present: 'is present',
  is_not_present: 'is not present',
}
// key -> label, operators, what its values are (a list to pick from, or free text)
export const CONDITIONS = {
  message_type: { label: 'Message type', operators: EQ, values: 'message_type', messageOnly: true },
  content: { label: 'Message content', operators: TEXT, values: 'text', messageOnly: true },
  status: { label: 'Status', operators: EQ, values: 'status' },
  priority: { label: 'Priority', operators: [...EQ, ...PRESENT], values: 'priority' },
  inbox_id: { label: 'Inbox', operators: EQ, values: 'inbox' },
  assignee_id: { label: 'Assignee', operators: [...EQ, ...PRESENT], values: 'agent' },
  team_id: { label: 'Team', operators: [...EQ, ...PRESENT], values: 'team' },
  labels: { label: 'Labels', operators: [...EQ, ...PRESENT], values: 'label' },
  email: { label: 'Contact email', operators: TEXT, values: 'text' },
  phone_number: { label: 'Contact phone', operators: [...TEXT, 'starts_with'], values: 'text' },
  country_code: { label: 'Country code', operators: EQ, values: 'text' },
  browser_language: { label: 'Browser language', operators: EQ, values: 'text' },
  referer: { label: 'Referer link', operators: TEXT, values: 'text' },
  mail_subject: { label: 'Email subject', operators: TEXT, values: 'text' },
}

export function conditionKeys(eventName) {
  return Object.keys(CONDITIONS).filter((k) => eventName === 'message_created' || !CONDITIONS[k].messageOnly)
}

export const blankAction = (name = 'add_label') => ({ action_name: name, action_params: [] })
export const blankCondition = () => ({ attribute_key: 'status', filter_operator: 'equal_to', values: ['open'], query_operator: 'and' })

// The body the API takes: the last condition has no query_operator.
export function cleanConditions(list) {
  return list.map((c, i) => ({
    attribute_key: c.attribute_key,
    filter_operator: c.filter_operator,
    values: PRESENT.includes(c.filter_operator) ? [] : c.values.filter((v) => v !== '' && v != null),
    query_operator: i < list.length - 1 ? c.query_operator || 'and' : null,
  }))
}

// A saved macro's or rule's actions as the builder edits them (copies: the form's own).
export const editableActions = (list) => list.map((a) => ({ action_name: a.action_name, action_params: [...(a.action_params || [])] }))

export function cleanActions(list) {
  return list.map((a) => ({ action_name: a.action_name, action_params: ACTIONS[a.action_name] && ACTIONS[a.action_name].param ? a.action_params.filter((v) => v !== '' && v != null) : [] }))
}

export function describeAction(a, { agents = [], teams = [], slaPolicies = [] } = {}) {
  const spec = ACTIONS[a.action_name]
  const label = spec ? spec.label : a.action_name
  const params = a.action_params || []
  if (!params.length) return label
  const named = params.map((p) => {
    if (spec && spec.param === 'agent') return p === 'self' ? 'the agent running it' : (agents.find((x) => x.id === Number(p)) || {}).name || '#' + p
    if (spec && spec.param === 'team') return (teams.find((x) => x.id === Number(p)) || {}).name || '#' + p
    if (spec && spec.param === 'sla') return (slaPolicies.find((x) => x.id === Number(p)) || {}).name || '#' + p
    return String(p)
  })
  return label + ': ' + named.join(', ')
}
