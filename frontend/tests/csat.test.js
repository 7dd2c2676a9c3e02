import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { mountAt, user } from './screen.js'
import { clearSession } from '../src/dashboard/session.js'
import CsatReport from '../src/dashboard/reports/CsatReport.vue'
import InboxCsat from '../src/dashboard/settings/InboxCsat.vue'
import Rating from '../src/survey/Rating.vue'

const BASE = '/api/v1/accounts/1/csat_survey_responses'
const response = (id, rating, feedback = '') => ({
  id, rating, feedback_message: feedback, account_id: 1, message_id: 100 + id, conversation_id: 7, inbox_id: 3, team_id: null,
  contact: { id: 9, name: 'Carla', email: '', phone_number: '', thumbnail: '' },
  assigned_agent: { id: 2, name: 'Ada', available_name: 'Ada', email: '', thumbnail: '' }, created_at: 1764866145,
})

afterEach(() => clearSession())

describe('the CSAT rating', () => {
  it('keeps the feedback being typed when the rating comes back late', async () => {
    const w = mount(Rating, { props: { question: 'How did we do?' } })
    await w.find('[data-testid="csat-rating-5"]').trigger('click')
    await w.setProps({ answer: { rating: 5, feedback_message: '' } }) // the PATCH's answer: the box appears
    await w.find('[data-testid="csat-feedback"]').setValue('Quick and kind')
    await w.setProps({ answer: { rating: 5, feedback_message: '' } }) // the socket's echo, after typing began
    expect(w.find('[data-testid="csat-feedback"]').element.value).toBe('Quick and kind')
    expect(w.find('[data-testid="csat-send"]').attributes('disabled')).toBeUndefined()
  })

  it('sends a rating, then the feedback, and shows stars or emoji', async () => {
    const w = mount(Rating, { props: { question: 'How did we do?', displayType: 'star' } })
    expect(w.text()).toContain('How did we do?')
    expect(w.findAll('.csat-opt').map((b) => b.text())).toEqual(['★', '★', '★', '★', '★'])
    await w.find('[data-testid="csat-rating-4"]').trigger('click')
    expect(w.emitted('submit')[0][0]).toEqual({ rating: 4, feedback_message: undefined })
    await w.setProps({ answer: { rating: 4, feedback_message: '' } })
    await w.find('[data-testid="csat-feedback"]').setValue('  Quick  ')
    await w.find('form').trigger('submit')
    expect(w.emitted('submit')[1][0]).toEqual({ rating: 4, feedback_message: 'Quick' })
    const emoji = mount(Rating, { props: { displayType: 'emoji', locked: true } })
    expect(emoji.findAll('.csat-opt')[0].text()).toBe('😞')
    expect(emoji.find('.csat-opt').attributes('disabled')).toBeDefined()
    expect(emoji.text()).toContain('This survey has closed.')
  })
})

describe('Reports > CSAT', () => {
  it('shows the score, the distribution as bars and as a table, and the responses with feedback', async () => {
    const routes = {
      ['GET ' + BASE + '/metrics']: () => [200, { total_count: 4, ratings_count: { 1: 1, 5: 3 }, total_sent_messages_count: 8, response_rate: 50, satisfaction_score: 75 }],
      ['GET ' + BASE]: () => [200, [response(1, 5, 'Great'), response(2, 1, 'Slow')]],
      'GET /api/v1/accounts/1/agents': () => [200, [{ id: 2, name: 'Ada' }]],
      'GET /api/v1/accounts/1/inboxes': () => [200, { payload: [{ id: 3, name: 'Website' }] }],
    }
    const { w, calls } = await mountAt(CsatReport, '/app/accounts/1/conversations', routes, user('administrator'))
    expect(w.find('[data-testid="csat-score"]').text()).toBe('75%')
    expect(w.find('[data-testid="csat-response-rate"]').text()).toBe('50%')
    expect(w.find('[data-testid="csat-total"]').text()).toBe('4')
    const table = w.find('[data-testid="csat-distribution"]')
    expect(table.findAll('tbody tr').map((r) => r.findAll('th, td').map((c) => c.text()).join(' '))).toEqual(['1 1 25%', '2 0 0%', '3 0 0%', '4 0 0%', '5 3 75%'])
    expect(w.findAll('[data-testid="csat-response-row"]').map((r) => r.text())).toEqual([expect.stringContaining('Great'), expect.stringContaining('Slow')])
    const listed = calls.find((c) => c.path === BASE)
    expect(Number(listed.query.until) - Number(listed.query.since)).toBe(30 * 86400)
    await w.find('[data-testid="csat-rating-filter"]').setValue('5')
    await flushPromises()
    expect(calls.filter((c) => c.path === BASE).at(-1).query['rating[]']).toBe('5')
  })
})

describe('an inbox’s CSAT settings', () => {
  it('saves Chatwoot’s csat_config and refuses a bad label before asking', async () => {
    const inbox = { id: 3, channel_type: 'Channel::Email', csat_survey_enabled: true, csat_config: { display_type: 'star', message: 'Rate us', survey_rules: { operator: 'does_not_contain', values: ['spam'] } } }
    const { w, calls } = await mountAt(
      { components: { InboxCsat }, template: '<InboxCsat :inbox="inbox" account-id="1" />', data: () => ({ inbox }) },
      '/app/accounts/1/conversations',
      { 'PATCH /api/v1/accounts/1/inboxes/3': (body) => [200, { ...inbox, csat_config: body.csat_config }] },
      user('administrator'),
    )
    expect(w.text()).toContain('a link to a short survey page')
    expect(w.find('[data-testid="csat-labels"]').element.value).toBe('spam')
    await w.find('[data-testid="csat-labels"]').setValue('spam, no spaces!')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(calls.some((c) => c.method === 'PATCH')).toBe(false)
    await w.find('[data-testid="csat-labels"]').setValue('spam, test')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(calls.find((c) => c.method === 'PATCH').body).toEqual({
      csat_survey_enabled: true,
      csat_config: { display_type: 'star', message: 'Rate us', survey_rules: { operator: 'does_not_contain', values: ['spam', 'test'] } },
    })
  })
})
