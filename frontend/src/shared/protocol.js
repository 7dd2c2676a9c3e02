// The loader <-> widget iframe protocol: "parley-widget:" + JSON of {"event": name, ...}.

export const PREFIX = 'parley-widget:'

export function encode(message) {
  return PREFIX + JSON.stringify(message)
}

export function decode(data) {
  if (typeof data !== 'string' || data.indexOf(PREFIX) !== 0) return null
  try {
    const msg = JSON.parse(data.slice(PREFIX.length))
    return msg && typeof msg === 'object' && !Array.isArray(msg) && typeof msg.event === 'string' ? msg : null
  } catch (e) {
    return null
  }
}

// $chatwoot methods the loader forwards to the iframe as {"event":"command","name","args"}.
export const COMMANDS = [
  'setUser',
  'setCustomAttributes',
  'deleteCustomAttribute',
  'setConversationCustomAttributes',
  'deleteConversationCustomAttribute',
  'setLabel',
  'removeLabel',
  'setLocale',
  'setColorScheme',
  'reset',
]
