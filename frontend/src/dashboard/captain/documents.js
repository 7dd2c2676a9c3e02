// Captain's documents as plain functions (tested without a screen): the add-by-URL body, the
// checks on a file before it is uploaded, the status words, what a row says about a
// document, and whether the list must keep polling.

export const DOCUMENT_STATUSES = [['in_progress', 'Processing'], ['available', 'Available'], ['failed', 'Failed']]
export const MAX_URL = 2048
// The largest files sent, as the server's limits (services/captain/documents.py; it answers
// a larger one with a 413 of its own).
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024 // a PDF
export const MAX_TEXT_BYTES = 2 * 1024 * 1024 // a text file
// PDF or text: by type, or by extension when the browser does not know the type.
const UPLOAD_TYPES = ['application/pdf', 'text/plain', 'text/markdown', 'text/csv']
const UPLOAD_EXTENSIONS = /\.(pdf|txt|md|markdown|csv)$/i
export const UPLOAD_ACCEPT = '.pdf,.txt,.md,.csv,application/pdf,text/plain,text/markdown,text/csv'
export const POLL_MS = 2000

export const statusLabel = (status) => (DOCUMENT_STATUSES.find(([k]) => k === status) || [status, String(status || '')])[1]

// The add-by-URL form -> { body } for POST documents, or { error } (nothing is sent).
export function documentUrlBody(values) {
  const link = String(values.external_link || '').trim()
  if (!link) return { error: 'Give the address of the page.' }
  if (link.length > MAX_URL) return { error: 'The address is at most ' + MAX_URL + ' characters.' }
  let url
  try {
    url = new URL(link)
  } catch {
    return { error: 'That is not a web address (it starts with https://).' }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { error: 'Only http and https addresses can be read.' }
  if (!/^\d+$/.test(String(values.assistant_id || ''))) return { error: 'Choose the assistant this document is for.' }
  return { body: { external_link: link, assistant_id: Number(values.assistant_id) } }
}

// '' when `file` may be uploaded, else why not.
export function uploadProblem(file, assistantId) {
  if (!file) return 'Choose a PDF or a text file.'
  if (!/^\d+$/.test(String(assistantId || ''))) return 'Choose the assistant this document is for.'
  if (!UPLOAD_TYPES.includes(file.type) && !UPLOAD_EXTENSIONS.test(file.name || '')) return 'Only PDF and text files can be added.'
  if (!file.size) return 'That file is empty.'
  const pdf = file.type === 'application/pdf' || /\.pdf$/i.test(file.name || '')
  const limit = pdf ? MAX_UPLOAD_BYTES : MAX_TEXT_BYTES
  if (file.size > limit) return 'That file is larger than ' + limit / 1024 / 1024 + ' MB, the limit for ' + (pdf ? 'a PDF.' : 'a text file.')
  return ''
}

export const anyInProgress = (items) => (items || []).some((d) => d && d.status === 'in_progress')

// The title a row shows: the name, else the address, else "Document 7".
export const documentTitle = (d) => String(d.name || d.external_link || 'Document ' + d.id)

const plural = (n, one, many) => n + ' ' + (n === 1 ? one : many)
// "12 pages · 30 passages" for an available document (what is known of it: its metadata).
export function documentFacts(d) {
  const m = (d && d.metadata) || {}
  const facts = []
  if (Number(m.pages) > 0) facts.push(plural(Number(m.pages), 'page', 'pages'))
  if (Number(m.chunk_count) > 0) facts.push(plural(Number(m.chunk_count), 'passage', 'passages'))
  if (m.truncated) facts.push('only the start was read')
  return facts.join(' · ')
}

// Where a document came from, in words.
export function sourceLabel(d) {
  if (d.source === 'pdf') return 'PDF'
  if (d.source === 'text') return 'Text file'
  return d.external_link ? 'Web page' : ''
}
