import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { mountAt, user } from './screen.js'
import { clearSession } from '../src/dashboard/session.js'
import {
  MAX_TEXT_BYTES, MAX_UPLOAD_BYTES, POLL_MS, anyInProgress, documentFacts, documentTitle, documentUrlBody, sourceLabel, statusLabel, uploadProblem,
} from '../src/dashboard/captain/documents.js'
import { faqDocumentName } from '../src/dashboard/captain/model.js'
import Documents from '../src/dashboard/captain/Documents.vue'
import Faqs from '../src/dashboard/captain/Faqs.vue'
import { h } from 'vue'
import { RouterView } from 'vue-router'
import { stopInbox } from '../src/dashboard/current.js'

const C = '/api/v1/accounts/1/captain'
const roleAgent = (permissions) => ({ ...user('agent'), accounts: [{ id: 1, name: 'Acme', role: 'agent', custom_role_id: 7, permissions: [...permissions, 'custom_role'] }] })
const bot = { id: 3, name: 'Ava', description: 'Billing', config: {}, response_guidelines: [], guardrails: [] }
const doc = (id, status, extra = {}) => ({ id, account_id: 1, assistant_id: 3, assistant: { id: 3, name: 'Ava' }, name: 'Page ' + id, external_link: 'https://acme.test/p' + id, source: 'url', status, error: null, ...extra })
const file = (name, type, size) => ({ name, type, size })

describe('captain documents model', () => {
  it('the add-by-URL body needs an http(s) address and an assistant', () => {
    expect(documentUrlBody({ external_link: ' https://acme.test/help ', assistant_id: '3' })).toEqual({ body: { external_link: 'https://acme.test/help', assistant_id: 3 } })
    expect(documentUrlBody({ external_link: '', assistant_id: '3' }).error).toMatch(/address/)
    expect(documentUrlBody({ external_link: 'acme.test/help', assistant_id: '3' }).error).toMatch(/not a web address/)
    expect(documentUrlBody({ external_link: 'javascript:alert(1)', assistant_id: '3' }).error).toMatch(/http/)
    expect(documentUrlBody({ external_link: 'ftp://acme.test/a.pdf', assistant_id: '3' }).error).toMatch(/http/)
    expect(documentUrlBody({ external_link: 'https://acme.test/' + 'a'.repeat(2100), assistant_id: '3' }).error).toMatch(/2048/)
    expect(documentUrlBody({ external_link: 'https://acme.test', assistant_id: '' }).error).toMatch(/assistant/)
  })

  it('a file is checked before it is sent: PDF or text, not empty, not too large, with an assistant', () => {
    expect(uploadProblem(file('guide.pdf', 'application/pdf', 1000), '3')).toBe('')
    expect(uploadProblem(file('notes.md', '', 10), '3')).toBe('') // the browser gave no type: the extension decides
    expect(uploadProblem(file('notes.txt', 'text/plain', 10), '3')).toBe('')
    expect(uploadProblem(null, '3')).toMatch(/Choose/)
    expect(uploadProblem(file('a.pdf', 'application/pdf', 10), '')).toMatch(/assistant/)
    expect(uploadProblem(file('photo.png', 'image/png', 10), '3')).toMatch(/Only PDF and text/)
    expect(uploadProblem(file('empty.txt', 'text/plain', 0), '3')).toMatch(/empty/)
    expect(uploadProblem(file('big.pdf', 'application/pdf', MAX_UPLOAD_BYTES + 1), '3')).toMatch(/larger than 20 MB, the limit for a PDF/)
    expect(uploadProblem(file('big.pdf', 'application/pdf', MAX_UPLOAD_BYTES), '3')).toBe('')
    expect(uploadProblem(file('big.txt', 'text/plain', MAX_TEXT_BYTES + 1), '3')).toMatch(/larger than 2 MB, the limit for a text file/)
  })

  it('status words, titles, facts and sources', () => {
    expect(DOC_LABELS()).toEqual(['Processing', 'Available', 'Failed'])
    expect(anyInProgress([doc(1, 'available'), doc(2, 'in_progress')])).toBe(true)
    expect(anyInProgress([doc(1, 'available'), doc(2, 'failed')])).toBe(false)
    expect(documentTitle({ id: 4, name: '', external_link: '' })).toBe('Document 4')
    expect(documentFacts({ metadata: { pages: 1, chunk_count: 12 } })).toBe('1 page · 12 passages')
    expect(documentFacts({ metadata: { pages: 40, chunk_count: 300, truncated: true } })).toBe('40 pages · 300 passages · only the start was read')
    expect(documentFacts({})).toBe('')
    expect([sourceLabel({ source: 'pdf' }), sourceLabel({ source: 'text' }), sourceLabel({ source: 'url', external_link: 'https://x' })]).toEqual(['PDF', 'Text file', 'Web page'])
    expect(faqDocumentName({ document: { id: 4, name: 'Guide' } })).toBe('Guide')
    expect(faqDocumentName({ document: null, document_id: null })).toBe('')
  })
})
const DOC_LABELS = () => ['in_progress', 'available', 'failed'].map(statusLabel)

describe('captain documents screen', () => {
  afterEach(() => {
    clearSession()
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  function server(docs) {
    return {
      'GET /api/v1/accounts/1/captain/assistants': () => [200, { payload: [bot], meta: { total_count: 1, page: 1 } }],
      'GET /api/v1/accounts/1/captain/documents': () => [200, { payload: docs.list, meta: { total_count: docs.list.length, page: 1 } }],
      'POST /api/v1/accounts/1/captain/documents': (b) => {
        const added = doc(9, 'in_progress', b instanceof FormData ? { name: b.get('document[file]').name, external_link: null, source: 'pdf' } : { external_link: b.document.external_link })
        docs.list = [added, ...docs.list]
        return [200, added]
      },
      'DELETE /api/v1/accounts/1/captain/documents/2': () => {
        docs.list = docs.list.filter((d) => d.id !== 2)
        return [204, null]
      },
    }
  }

  it('lists an assistant’s documents with their status and a failed one’s reason; a knowledge manager may', async () => {
    const docs = { list: [doc(1, 'available', { metadata: { source: 'url', pages: 3, chunk_count: 7, content_length: 900, truncated: false } }), doc(2, 'failed', { error: 'The page answered 404' }), doc(3, 'failed')] }
    const { w, calls, router } = await mountAt(Documents, '/app/accounts/1/captain/documents', server(docs), roleAgent(['knowledge_base_manage']))
    // An account with one assistant has it chosen: the list and the address follow.
    expect(router.currentRoute.value.query).toEqual({ assistant_id: '3' })
    expect(calls.filter((c) => c.path === C + '/documents').at(-1).query).toEqual({ assistant_id: '3' })
    const rows = w.findAll('[data-testid="captain-doc-row"]')
    expect(rows.map((r) => r.attributes('data-status'))).toEqual(['available', 'failed', 'failed'])
    expect(rows[0].get('[data-testid="captain-doc-status"]').text()).toBe('Available')
    expect(rows[0].get('[data-testid="captain-doc-facts"]').text()).toBe('3 pages · 7 passages')
    expect(rows[0].get('a').attributes('href')).toBe('https://acme.test/p1')
    expect(rows[1].get('[data-testid="captain-doc-error"]').text()).toBe('The page answered 404')
    expect(rows[2].get('[data-testid="captain-doc-error"]').text()).toMatch(/could not be read/)
    expect(rows[0].find('[data-testid="captain-doc-error"]').exists()).toBe(false)
  })

  it('the section’s links: FAQs, the playground and documents for knowledge managers; assistants and settings for administrators only', async () => {
    const Captain = { render: () => h(RouterView) } // the app's root view: the section and its screen
    const nav = (w) => w.findAll('[data-testid^="captain-nav-"]').map((a) => a.attributes('data-testid').replace('captain-nav-', ''))
    const asManager = await mountAt(Captain, '/app/accounts/1/captain/documents', { 'GET /api/v1/accounts/1/captain/assistants': () => [200, { payload: [] }] }, roleAgent(['knowledge_base_manage']))
    expect(nav(asManager.w)).toEqual(['faqs', 'playground', 'documents'])
    expect(asManager.w.get('[data-testid="captain-nav-documents"]').attributes('aria-current')).toBe('page')
    asManager.w.unmount()
    stopInbox()
    const asAdmin = await mountAt(Captain, '/app/accounts/1/captain/settings', { 'GET /api/v1/accounts/1/captain/assistants': () => [200, { payload: [] }] }, user('administrator'))
    expect(nav(asAdmin.w)).toEqual(['assistants', 'faqs', 'playground', 'documents', 'settings'])
    expect(asAdmin.w.get('[data-testid="captain-nav-settings"]').attributes('aria-current')).toBe('page')
    asAdmin.w.unmount()
    stopInbox()
    // A knowledge manager sent to the settings lands on the FAQs.
    const { router } = await mountAt(Documents, '/app/accounts/1/captain/settings', { 'GET /api/v1/accounts/1/captain/assistants': () => [200, { payload: [] }] }, roleAgent(['knowledge_base_manage']))
    expect(router.currentRoute.value.name).toBe('captain-faqs')
  })

  it('polls while a document is processing and stops once none is', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    const docs = { list: [doc(1, 'in_progress')] }
    const { w, calls } = await mountAt(Documents, '/app/accounts/1/captain/documents?assistant_id=3', server(docs), user('administrator'))
    const lists = () => calls.filter((c) => c.method === 'GET' && c.path === C + '/documents').length
    const before = lists()
    expect(w.get('[data-testid="captain-doc-status"]').text()).toBe('Processing')
    await vi.advanceTimersByTimeAsync(POLL_MS + 10)
    await flushPromises()
    expect(lists()).toBe(before + 1)
    docs.list = [doc(1, 'available')]
    await vi.advanceTimersByTimeAsync(POLL_MS + 10)
    await flushPromises()
    expect(w.get('[data-testid="captain-doc-status"]').text()).toBe('Available')
    const settled = lists()
    await vi.advanceTimersByTimeAsync(POLL_MS * 3)
    await flushPromises()
    expect(lists()).toBe(settled) // nothing processing: no more requests
    // Leaving the screen stops a poll in flight too.
    docs.list = [doc(1, 'in_progress')]
    await w.get('[data-testid="captain-doc-assistant"]').setValue('3')
    await flushPromises()
    const atLeave = lists()
    w.unmount()
    await vi.advanceTimersByTimeAsync(POLL_MS * 3)
    expect(lists()).toBe(atLeave)
  })

  it('adds a page by address (refusing a bad one without a request), uploads a file as multipart, deletes after asking', async () => {
    const docs = { list: [doc(2, 'available')] }
    const { w, calls } = await mountAt(Documents, '/app/accounts/1/captain/documents?assistant_id=3', server(docs), user('administrator'))
    const posts = () => calls.filter((c) => c.method === 'POST')
    await w.get('[data-testid="captain-doc-url"]').setValue('not a url')
    await w.get('[data-testid="captain-doc-add-url"]').trigger('submit')
    expect(w.get('[data-testid="captain-doc-url-error"]').text()).toMatch(/not a web address/)
    expect(posts()).toHaveLength(0)
    await w.get('[data-testid="captain-doc-url"]').setValue('https://acme.test/help')
    await w.get('[data-testid="captain-doc-url"]').element.form.dispatchEvent(new Event('submit'))
    await flushPromises()
    expect(posts()[0].body).toEqual({ document: { external_link: 'https://acme.test/help', assistant_id: 3 } })
    expect(w.get('[data-testid="captain-doc-added"]').text()).toMatch(/reading the page/)
    expect(w.findAll('[data-testid="captain-doc-row"]').map((r) => r.attributes('data-status'))).toEqual(['in_progress', 'available'])
    expect(w.get('[data-testid="captain-doc-url"]').element.value).toBe('')

    // A file: the wrong kind is refused here; a PDF goes as multipart with the assistant.
    const input = w.get('[data-testid="captain-doc-file"]')
    const pick = async (f) => {
      Object.defineProperty(input.element, 'files', { value: [f], configurable: true })
      await input.trigger('change')
    }
    await pick(new File(['x'], 'photo.png', { type: 'image/png' }))
    await input.element.form.dispatchEvent(new Event('submit'))
    await flushPromises()
    expect(w.get('[data-testid="captain-doc-upload-error"]').text()).toMatch(/Only PDF and text/)
    expect(posts()).toHaveLength(1)
    await pick(new File(['%PDF-1.4 guide'], 'guide.pdf', { type: 'application/pdf' }))
    await input.element.form.dispatchEvent(new Event('submit'))
    await flushPromises()
    const upload = posts()[1].body
    expect(upload).toBeInstanceOf(FormData)
    expect(upload.get('document[assistant_id]')).toBe('3')
    expect(upload.get('document[file]').name).toBe('guide.pdf')
    expect(w.get('[data-testid="captain-doc-added"]').text()).toMatch(/reading the file/)

    await w.get('[data-testid="captain-doc-delete-2"]').trigger('click')
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false)
    await w.get('[data-testid="captain-doc-delete-2-confirm"]').trigger('click')
    await flushPromises()
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual([C + '/documents/2'])
    expect(w.find('[data-document-id="2"]').exists()).toBe(false)
    w.unmount() // stops the poll the processing documents started
  })

  it('shows the server’s refusal of an address (a private one)', async () => {
    const { w } = await mountAt(Documents, '/app/accounts/1/captain/documents?assistant_id=3', {
      ...server({ list: [] }),
      'POST /api/v1/accounts/1/captain/documents': () => [422, { error: 'That address is on a private network' }],
    }, user('administrator'))
    expect(w.find('[data-testid="captain-docs-empty"]').exists()).toBe(true)
    await w.get('[data-testid="captain-doc-url"]').setValue('http://10.0.0.1/')
    await w.get('[data-testid="captain-doc-url"]').element.form.dispatchEvent(new Event('submit'))
    await flushPromises()
    expect(w.get('[data-testid="captain-doc-url-error"]').text()).toBe('That address is on a private network')
  })

  it('FAQs show the document they came from, and filter by it', async () => {
    const rows = [
      { id: 1, question: 'Q1', answer: 'A1', assistant_id: 3, status: 'pending', document_id: 5, document: { id: 5, name: 'Pricing guide' } },
      { id: 2, question: 'Q2', answer: 'A2', assistant_id: 3, status: 'approved', document_id: null, document: null },
    ]
    const { w, calls, router } = await mountAt(Faqs, '/app/accounts/1/captain/faqs', {
      'GET /api/v1/accounts/1/captain/assistants': () => [200, { payload: [bot] }],
      'GET /api/v1/accounts/1/captain/assistant_responses': (_, q) => [200, { payload: q.document_id ? rows.slice(0, 1) : rows, meta: { total_count: 2, page: 1 } }],
    }, user('administrator'))
    expect(w.get('[data-testid="captain-faq-document-1"]').text()).toBe('Pricing guide')
    expect(w.find('[data-testid="captain-faq-document-2"]').exists()).toBe(false)
    await w.get('[data-testid="captain-faq-document-1"]').trigger('click')
    await flushPromises()
    expect(calls.filter((c) => c.path === C + '/assistant_responses').at(-1).query).toEqual({ document_id: '5' })
    expect(router.currentRoute.value.query).toEqual({ document_id: '5' })
    expect(w.get('[data-testid="captain-faq-document-filter"]').text()).toContain('Pricing guide')
    await w.get('[data-testid="captain-faq-document-clear"]').trigger('click')
    await flushPromises()
    expect(calls.filter((c) => c.path === C + '/assistant_responses').at(-1).query).toEqual({})
    // The status tabs: Pending, Approved, All.
    await w.get('[data-testid="captain-faq-tab-pending"]').trigger('click')
    await flushPromises()
    expect(calls.filter((c) => c.path === C + '/assistant_responses').at(-1).query).toEqual({ status: 'pending' })
    expect(w.get('[data-testid="captain-faq-tab-pending"]').attributes('aria-selected')).toBe('true')
    await w.get('[data-testid="captain-faq-tab-all"]').trigger('click')
    await flushPromises()
    expect(calls.filter((c) => c.path === C + '/assistant_responses').at(-1).query).toEqual({})
  })
})
