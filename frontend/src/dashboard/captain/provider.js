// Captain's model provider settings as plain functions: the form values of the account's
// settings (or an assistant's override) as the API renders them, and the PATCH body they
// make. The API key is write-only: the server says only whether one is set (api_key_set);
// the form sends a key only when one is typed (replace) and "" to clear it.

export const PROVIDERS = [
  ['offline', 'Offline (no model)'],
  ['bedrock', 'Amazon Bedrock'],
  ['openai_compatible', 'OpenAI-compatible endpoint'],
]
export const PROVIDER_HINTS = {
  offline: 'Captain answers with the approved FAQ, document passage or article that matches best, word for word, and hands off when nothing matches well enough. No model, no key, no cost.',
  bedrock: 'Models on Amazon Bedrock, through this installation’s AWS role: no key needed.',
  openai_compatible: 'OpenAI, Azure OpenAI, Ollama, vLLM, LM Studio or any endpoint that speaks the OpenAI chat completions API.',
}
export const MAX_FIELD = 200 // a model name
export const MAX_URL = 2048
export const MAX_KEY = 4096
export const MAX_BUDGET = 1000000
export const MAX_RATE = 10000

const text = (v) => (v == null ? '' : String(v))
const numberText = (v) => (v == null || v === '' ? '' : String(v))

export const blankProvider = () => ({
  provider: 'offline',
  base_url: '',
  chat_model: '',
  embedding_model: '',
  allow_private_address: false,
  monthly_budget_usd: '',
  rate_limit_per_minute: '',
  api_key_set: false,
  // Whether this installation lets allow_private_address be set (its super admin's choice).
  private_addresses_allowed: true,
  // The key: 'keep' the stored one (or none), 'replace' with `api_key`, or 'clear' it.
  key_action: 'keep',
  api_key: '',
})

export function providerForm(s) {
  const v = blankProvider()
  if (!s || typeof s !== 'object') return v
  if (PROVIDERS.some(([k]) => k === s.provider)) v.provider = s.provider
  for (const key of ['base_url', 'chat_model', 'embedding_model']) v[key] = text(s[key])
  v.allow_private_address = !!s.allow_private_address
  v.monthly_budget_usd = numberText(s.monthly_budget_usd)
  v.rate_limit_per_minute = numberText(s.rate_limit_per_minute)
  v.api_key_set = !!s.api_key_set
  v.private_addresses_allowed = s.private_addresses_allowed !== false
  return v
}

// What the form shows per provider.
export const usesEndpoint = (provider) => provider === 'openai_compatible'
export const usesModels = (provider) => provider === 'openai_compatible' || provider === 'bedrock'

// Where settings in force come from (GET answers `source`): an assistant's own override,
// the account's, or the installation's default.
export const isOwnSettings = (res) => !!res && typeof res === 'object' && res.source === 'assistant'

// The form values -> { body } or { error }. `scope` 'account' also sends the budget and
// the rate limit (they are the account's); an assistant's override sends the model only.
export function providerBody(values, { scope = 'account' } = {}) {
  const provider = values.provider
  if (!PROVIDERS.some(([k]) => k === provider)) return { error: 'Choose a provider.' }
  const body = { provider }
  if (usesModels(provider)) {
    const chat = text(values.chat_model).trim()
    const embedding = text(values.embedding_model).trim()
    if (chat.length > MAX_FIELD || embedding.length > MAX_FIELD) return { error: 'A model name is at most ' + MAX_FIELD + ' characters.' }
    if (provider === 'openai_compatible' && !chat) return { error: 'Name the chat model (for example gpt-4o-mini or llama3.1).' }
    // An empty model is null: the server's default (it refuses an empty string).
    body.chat_model = chat || null
    body.embedding_model = embedding || null
  }
  if (usesEndpoint(provider)) {
    const base = text(values.base_url).trim()
    if (!base) return { error: 'Give the endpoint’s base URL (for example https://api.openai.com/v1).' }
    if (base.length > MAX_URL) return { error: 'The base URL is at most ' + MAX_URL + ' characters.' }
    let url
    try {
      url = new URL(base)
    } catch {
      return { error: 'The base URL is not a web address.' }
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return { error: 'The base URL starts with https:// or http://.' }
    if (url.protocol === 'http:' && !values.allow_private_address) return { error: 'The base URL must be https (http only for a private address you allow below).' }
    body.base_url = base
    body.allow_private_address = !!values.allow_private_address
    if (values.key_action === 'replace') {
      const key = text(values.api_key).trim()
      if (!key) return { error: 'Type the new API key, or keep the current one.' }
      if (key.length > MAX_KEY) return { error: 'The API key is at most ' + MAX_KEY + ' characters.' }
      body.api_key = key
    } else if (values.key_action === 'clear') {
      body.api_key = ''
    }
  }
  if (scope === 'account') {
    const budget = text(values.monthly_budget_usd).trim()
    if (budget === '') body.monthly_budget_usd = null
    else {
      const n = Number(budget)
      if (!Number.isFinite(n) || n < 0 || n > MAX_BUDGET) return { error: 'The monthly budget is an amount in US dollars from 0 to ' + MAX_BUDGET + ', or empty for none.' }
      body.monthly_budget_usd = n
    }
    const rate = text(values.rate_limit_per_minute).trim()
    if (rate === '') body.rate_limit_per_minute = null
    else {
      const n = Number(rate)
      if (!Number.isInteger(n) || n < 1 || n > MAX_RATE) return { error: 'The rate limit is a whole number of answers a minute from 1 to ' + MAX_RATE + ', or empty for none.' }
      body.rate_limit_per_minute = n
    }
  }
  return { body }
}

export const providerLabel = (key) => (PROVIDERS.find(([k]) => k === key) || [key, String(key || '')])[1]

// Usage figures: dollars with cents (small amounts with more), counts with separators.
export function money(n) {
  const v = Number(n)
  if (!Number.isFinite(v)) return '—'
  return '$' + (v > 0 && v < 0.01 ? v.toFixed(4) : v.toFixed(2))
}
export const count = (n) => (Number.isFinite(Number(n)) ? Number(n).toLocaleString('en-US') : '—')

// GET .../captain/usage ({current: {month, assistants: [...], total}, previous: {...},
// monthly_budget_usd, budget_exhausted, rate_limit_per_minute}) -> what the usage card shows:
// { month, budget, exhausted, rate, total, rows: [{ id, name, calls, tokens, input, output, answers, handoffs, cost }], previous }
// (tokens = input + output tokens; Reports > Captain shows them apart).
const figures = (u) => {
  const f = u && typeof u === 'object' ? u : {}
  const input = Number(f.input_tokens || 0)
  const output = Number(f.output_tokens || 0)
  const tokens = f.tokens != null ? Number(f.tokens) : input + output
  return { calls: Number(f.calls || 0), tokens, input, output, answers: Number(f.answers || 0), handoffs: Number(f.handoffs || 0), cost: Number(f.cost_usd || 0) }
}
function monthOf(m, assistants) {
  const month = m && typeof m === 'object' ? m : {}
  const list = Array.isArray(month.assistants) ? month.assistants : []
  const rows = list.map((u) => {
    const id = u.assistant_id ?? null
    const known = assistants.find((a) => a.id === id)
    return { id, name: u.assistant_name || (known && known.name) || (id == null ? 'Other' : 'Deleted assistant ' + id), ...figures(u) }
  })
  const total = month.total && typeof month.total === 'object' ? figures(month.total)
    : rows.reduce((t, u) => ({ calls: t.calls + u.calls, tokens: t.tokens + u.tokens, input: t.input + u.input, output: t.output + u.output, answers: t.answers + u.answers, handoffs: t.handoffs + u.handoffs, cost: t.cost + u.cost }), figures(null))
  return { month: typeof month.month === 'string' ? month.month : '', total, rows }
}
export function usageOf(res, assistants = []) {
  const r = res && typeof res === 'object' ? res : {}
  const current = monthOf(r.current, assistants)
  const budget = r.monthly_budget_usd == null || r.monthly_budget_usd === '' ? null : Number(r.monthly_budget_usd)
  const rate = r.rate_limit_per_minute == null ? null : Number(r.rate_limit_per_minute)
  return { ...current, budget, exhausted: !!r.budget_exhausted, rate, previous: r.previous ? monthOf(r.previous, assistants) : null }
}
