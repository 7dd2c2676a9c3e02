// The reports API calls (Chatwoot's v2 paths and parameters, built in shared/endpoints.js),
// and the CSV downloads: fetched with the session's token (a plain link would carry none)
// and handed to the browser as a file.
import { api, endSession, session } from '../session.js'
import { accountEndpoints } from '../../shared/endpoints.js'
import { ApiError, errorMessage } from '../../shared/api.js'
import { listOf } from '../settings/resource.js'
import { fileNameOf } from './model.js'

const v2 = (accountId, ...parts) => accountEndpoints(accountId).v2(...parts)

// GET /reports: [{ value, timestamp }] (params from model.reportParams).
export const getSeries = (accountId, params) => api.get(v2(accountId, 'reports'), params)
// GET /reports/summary: the period's figures and `previous`.
export const getSummary = (accountId, params) => api.get(v2(accountId, 'reports', 'summary'), params)
// GET /reports/bot_summary: the bot figures (bot_resolutions_count, bot_handoffs_count) and `previous`.
export const getBotSummary = (accountId, params) => api.get(v2(accountId, 'reports', 'bot_summary'), params)
// GET /reports/conversations: live counts, type account (an object) or agent (an array).
export const getLiveCounts = (accountId, type = 'account') => api.get(v2(accountId, 'reports', 'conversations'), { type })
// GET /reports/first_response_time_distribution: per channel type, first responses per bucket.
export const getFirstResponseDistribution = (accountId, params) => api.get(v2(accountId, 'reports', 'first_response_time_distribution'), params)
// GET /summary_reports/<agent|inbox|team|label|channel>.
export const getSummaryReport = (accountId, kind, params) => api.get(v2(accountId, 'summary_reports', kind), params)

// The records a table names its rows with (v1 collections, Chatwoot's shapes).
export async function listNames(accountId, name) {
  return listOf(await api.get(accountEndpoints(accountId).resource(name)))
}

// Download /reports/<name> (agents, inboxes, labels, teams, conversation_traffic...) as a
// file; resolves to the file name once the browser has it.
export function downloadCsv(accountId, name, params, fallbackName) {
  return downloadFile(v2(accountId, 'reports', name), params, fallbackName)
}

// Download any CSV route of the account (the reports', CSAT's, SLA's) with the session's
// token; the server's file name (Content-Disposition) or `fallbackName`.
export async function downloadFile(path, params, fallbackName) {
  const qs = new URLSearchParams(params).toString()
  const url = path + (qs ? '?' + qs : '')
  let res
  try {
    res = await fetch(url, { headers: { Accept: 'text/csv', api_access_token: session.token } })
  } catch {
    throw new ApiError(0, errorMessage(0), null, null)
  }
  if (!res.ok) {
    const text = await res.text()
    let body = text
    try {
      body = JSON.parse(text)
    } catch {
      /* not JSON */
    }
    if (res.status === 401) endSession()
    throw new ApiError(res.status, errorMessage(res.status, body), body, null)
  }
  const blob = await res.blob()
  const fileName = fileNameOf(res.headers.get('Content-Disposition'), fallbackName)
  const href = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = href
  a.download = fileName
  a.style.display = 'none'
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(href), 10000)
  return fileName
}
