// An assistant's scenarios (Chatwoot's `assistants/{id}/scenarios`): when one applies (the
// description) and what the assistant does then (the instruction), which names the tools it
// may use as Markdown links, `[Add Private Note](tool://add_private_note)`. The server reads
// `tools` from the instruction (anything else sent is ignored) and refuses an unknown tool.
export const MAX_TITLE = 255
export const MAX_TEXT = 10000

// The tool ids the server knows (services/captain/scenarios.TOOLS), in the order offered.
// faq_lookup and add_contact_note are accepted but not carried out (docs/captain.md).
export const TOOLS = [
  ['add_private_note', 'Add private note'],
  ['add_label_to_conversation', 'Add label'],
  ['update_priority', 'Update priority'],
  ['resolve', 'Resolve'],
  ['handoff', 'Hand off'],
  ['faq_lookup', 'FAQ lookup'],
  ['add_contact_note', 'Add contact note'],
]
const KNOWN = new Set(TOOLS.map(([id]) => id))
const REFERENCE = /\[[^\]\n]{1,200}\]\(tool:\/\/([^/)\s]{1,100})\)/g

// The tool ids an instruction names, in order, each once (as the server reads them).
export function toolsIn(instruction) {
  const found = []
  for (const m of String(instruction || '').matchAll(REFERENCE)) if (!found.includes(m[1])) found.push(m[1])
  return found
}

export const toolLabel = (id) => (TOOLS.find(([key]) => key === id) || [id, id])[1]
// The Markdown link that names a tool in an instruction.
export const toolLink = (id) => '[' + toolLabel(id) + '](tool://' + id + ')'

// `text` with `link` added at the caret (`at`), spaced from its neighbours.
export function inserted(text, link, at = String(text || '').length) {
  const s = String(text || '')
  const i = Math.max(0, Math.min(Number.isInteger(at) ? at : s.length, s.length))
  const before = s.slice(0, i)
  const after = s.slice(i)
  return before + (before && !/\s$/.test(before) ? ' ' : '') + link + (after && !/^\s/.test(after) ? ' ' : '') + after
}

export const blankScenario = () => ({ title: '', description: '', instruction: '', enabled: true })
export const scenarioForm = (s) => ({ title: s.title || '', description: s.description || '', instruction: s.instruction || '', enabled: s.enabled !== false })

// The body to send, or { error } the way the server would refuse it.
export function scenarioBody(values) {
  const title = String(values.title || '').trim()
  const description = String(values.description || '').trim()
  const instruction = String(values.instruction || '').trim()
  if (!title) return { error: 'Give the scenario a title.' }
  if (title.length > MAX_TITLE) return { error: 'The title is at most ' + MAX_TITLE + ' characters.' }
  if (!description) return { error: 'Say when the scenario applies.' }
  if (!instruction) return { error: 'Say what the assistant does then.' }
  if (description.length > MAX_TEXT || instruction.length > MAX_TEXT) return { error: 'The description and the instruction are at most ' + MAX_TEXT + ' characters each.' }
  const unknown = toolsIn(instruction).filter((id) => !KNOWN.has(id))
  if (unknown.length) return { error: 'Unknown tools in the instruction: ' + unknown.join(', ') + '.' }
  return { body: { title, description, instruction, enabled: !!values.enabled } }
}
