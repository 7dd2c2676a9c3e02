import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { mountAt, routerAt, user } from './screen.js'
import { clearSession, setUser } from '../src/dashboard/session.js'
import { TOOLS, blankScenario, inserted, scenarioBody, scenarioForm, toolLink, toolsIn } from '../src/dashboard/captain/scenarios.js'
import Scenarios from '../src/dashboard/captain/Scenarios.vue'

const C = '/api/v1/accounts/1/captain'
const bot = { id: 3, name: 'Ava', description: 'Billing', config: {}, response_guidelines: [], guardrails: [] }
const roleAgent = (permissions) => ({ ...user('agent'), accounts: [{ id: 1, name: 'Acme', role: 'agent', custom_role_id: 7, permissions: [...permissions, 'custom_role'] }] })

afterEach(() => {
  clearSession()
  document.body.innerHTML = ''
})

describe('captain scenarios model', () => {
  it('reads the tools an instruction names, as the server does', () => {
    expect(toolsIn('Say sorry, then [Hand off](tool://handoff) and [x](tool://handoff) and [Note](tool://add_private_note).')).toEqual(['handoff', 'add_private_note'])
    expect(toolsIn('no tools here, (tool://resolve) without a label')).toEqual([])
    expect(toolLink('resolve')).toBe('[Resolve](tool://resolve)')
    expect(TOOLS.map(([id]) => id)).toEqual(['add_private_note', 'add_label_to_conversation', 'update_priority', 'resolve', 'handoff', 'faq_lookup', 'add_contact_note'])
  })

  it('inserts a tool link at the caret, spaced from its neighbours', () => {
    expect(inserted('', '[R](tool://resolve)')).toBe('[R](tool://resolve)')
    expect(inserted('Thank them.', '[R](tool://resolve)')).toBe('Thank them. [R](tool://resolve)')
    expect(inserted('Thank them then close', '[R](tool://resolve)', 11)).toBe('Thank them [R](tool://resolve) then close')
    expect(inserted('ab', 'X', 99)).toBe('ab X')
  })

  it('the body is trimmed, and refused the way the server would', () => {
    const ok = { title: ' Cancel ', description: ' wants to cancel ', instruction: 'Apologise. [Hand off](tool://handoff)', enabled: false }
    expect(scenarioBody(ok)).toEqual({ body: { title: 'Cancel', description: 'wants to cancel', instruction: 'Apologise. [Hand off](tool://handoff)', enabled: false } })
    expect(scenarioBody({ ...ok, title: ' ' }).error).toMatch(/title/)
    expect(scenarioBody({ ...ok, title: 'x'.repeat(256) }).error).toMatch(/255/)
    expect(scenarioBody({ ...ok, description: '' }).error).toMatch(/applies/)
    expect(scenarioBody({ ...ok, instruction: '' }).error).toMatch(/does then/)
    expect(scenarioBody({ ...ok, instruction: 'x'.repeat(10001) }).error).toMatch(/10000/)
    expect(scenarioBody({ ...ok, instruction: 'Do [it](tool://launch_rockets)' }).error).toMatch(/launch_rockets/)
    expect(blankScenario().enabled).toBe(true)
    expect(scenarioForm({ title: 'T', description: 'D', instruction: 'I', enabled: false })).toEqual({ title: 'T', description: 'D', instruction: 'I', enabled: false })
  })
})

// A fake Captain server holding the assistant's scenarios.
function server(provider = 'bedrock') {
  const scenarios = [
    { id: 1, title: 'Refund', description: 'asks for a refund', instruction: 'Explain. [Add Private Note](tool://add_private_note)', tools: ['add_private_note'], enabled: true, assistant_id: 3 },
    { id: 2, title: 'Old', description: 'old case', instruction: 'Nothing', tools: null, enabled: false, assistant_id: 3 },
  ]
  let next = 3
  const fields = (b) => b.scenario
  const routes = {
    ['GET ' + C + '/assistants/3']: () => [200, bot],
    ['GET ' + C + '/assistants/3/provider']: () => [200, { provider, source: 'account' }],
    ['GET ' + C + '/assistants/3/scenarios']: (_, query) => [200, { payload: query.include_disabled === 'true' ? scenarios : scenarios.filter((s) => s.enabled), meta: { total_count: 2, page: 1 } }],
    ['POST ' + C + '/assistants/3/scenarios']: (b) => {
      const made = { id: next++, ...fields(b), tools: toolsIn(fields(b).instruction), assistant_id: 3 }
      scenarios.push(made)
      return [200, made]
    },
    ['DELETE ' + C + '/assistants/3/scenarios/2']: () => {
      scenarios.splice(scenarios.findIndex((s) => s.id === 2), 1)
      return [200, {}]
    },
  }
  for (const id of [1, 2, 3]) {
    routes['PATCH ' + C + '/assistants/3/scenarios/' + id] = (b) => {
      const s = scenarios.find((x) => x.id === id)
      Object.assign(s, fields(b))
      if (fields(b).instruction) s.tools = toolsIn(s.instruction)
      return [200, s]
    }
  }
  return routes
}

const PATH = '/app/accounts/1/captain/assistants/3/scenarios'
const rowsOf = (w) => w.findAll('[data-testid="captain-scenario-row"]').map((r) => [r.find('strong').text(), r.attributes('data-enabled')])

describe('Scenarios screen', () => {
  it('lists every scenario, the disabled ones too, with their tools', async () => {
    const { w, calls } = await mountAt(Scenarios, PATH, server(), user('administrator'))
    expect(w.text()).toContain('Scenarios: Ava')
    expect(calls.find((c) => c.path.endsWith('/scenarios')).query).toEqual({ include_disabled: 'true' })
    expect(rowsOf(w)).toEqual([['Refund', 'true'], ['Old', 'false']])
    expect(w.get('[data-testid="captain-scenario-tools"]').text()).toBe('Add private note')
    expect(w.find('[data-testid="captain-scenarios-offline"]').exists()).toBe(false)
    expect(w.get('[data-testid="captain-assistant-tab-scenarios"]').attributes('aria-current')).toBe('page')
  })

  it('adds a scenario with a tool inserted from its button, refusing an incomplete one first', async () => {
    const { w, calls } = await mountAt(Scenarios, PATH, server(), user('administrator'))
    await w.get('[data-testid="captain-scenario-title"]').setValue('Cancel')
    await w.get('[data-testid="captain-scenario-save"]').trigger('submit')
    expect(w.get('[data-testid="captain-scenario-error"]').text()).toMatch(/applies/)
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0)
    await w.get('[data-testid="captain-scenario-description"]').setValue('the customer wants to cancel')
    await w.get('[data-testid="captain-scenario-instruction"]').setValue('Apologise, then')
    await w.get('[data-testid="captain-scenario-tool-handoff"]').trigger('click')
    expect(w.get('[data-testid="captain-scenario-instruction"]').element.value).toBe('Apologise, then [Hand off](tool://handoff)')
    await w.get('[data-testid="captain-scenario-form"]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'POST').body).toEqual({ scenario: { title: 'Cancel', description: 'the customer wants to cancel', instruction: 'Apologise, then [Hand off](tool://handoff)', enabled: true } })
    expect(rowsOf(w)).toEqual([['Refund', 'true'], ['Old', 'false'], ['Cancel', 'true']])
    expect(w.get('[data-testid="captain-scenario-title"]').element.value).toBe('') // the form is blank again
  })

  it('edits one, enables and disables, and deletes after asking', async () => {
    const { w, calls } = await mountAt(Scenarios, PATH, server(), user('administrator'))
    await w.get('[data-testid="captain-scenario-edit-1"]').trigger('click')
    expect(w.get('[data-testid="captain-scenario-title"]').element.value).toBe('Refund')
    await w.get('[data-testid="captain-scenario-title"]').setValue('Refunds')
    await w.get('[data-testid="captain-scenario-form"]').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'PATCH').body.scenario).toMatchObject({ title: 'Refunds', enabled: true })
    await w.get('[data-testid="captain-scenario-toggle-2"]').trigger('click')
    await flushPromises()
    expect(calls.filter((c) => c.method === 'PATCH').at(-1)).toMatchObject({ path: C + '/assistants/3/scenarios/2', body: { scenario: { enabled: true } } })
    expect(rowsOf(w)).toEqual([['Refunds', 'true'], ['Old', 'true']])
    await w.get('[data-testid="captain-scenario-delete-2"]').trigger('click')
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false) // asked first
    await w.get('[data-testid="captain-scenario-delete-2-confirm"]').trigger('click')
    await flushPromises()
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual([C + '/assistants/3/scenarios/2'])
    expect(rowsOf(w)).toEqual([['Refunds', 'true']])
  })

  it('says the offline provider ignores scenarios, and shows the server’s refusal', async () => {
    const routes = server('offline')
    routes['POST ' + C + '/assistants/3/scenarios'] = () => [422, { error: 'instruction names unknown tools: x' }]
    const { w } = await mountAt(Scenarios, PATH, routes, user('administrator'))
    expect(w.get('[data-testid="captain-scenarios-offline"]').text()).toContain('offline provider')
    await w.get('[data-testid="captain-scenario-title"]').setValue('T')
    await w.get('[data-testid="captain-scenario-description"]').setValue('D')
    await w.get('[data-testid="captain-scenario-instruction"]').setValue('I')
    await w.get('[data-testid="captain-scenario-form"]').trigger('submit')
    await flushPromises()
    expect(w.get('[data-testid="captain-scenario-error"]').text()).toContain('unknown tools')
    expect(rowsOf(w)).toHaveLength(2)
  })

  it('is for administrators: a knowledge manager is sent to the FAQs', async () => {
    setUser(roleAgent(['knowledge_base_manage']), false)
    const router = await routerAt(PATH, vi.fn(async () => new Response('{}')))
    expect(router.currentRoute.value.name).toBe('captain-faqs')
  })
})
