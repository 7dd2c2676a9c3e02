// An agent bot's fields as its forms send them (an account's bots and the installation's).
export const blankBot = () => ({ name: '', description: '', outgoing_url: '' })

export function agentBotBody(values) {
  const body = { name: values.name.trim(), description: values.description.trim(), outgoing_url: values.outgoing_url.trim() }
  if (!body.name) return { error: 'Give the bot a name.' }
  if (body.outgoing_url && !/^https?:\/\/\S+$/.test(body.outgoing_url)) return { error: 'The outgoing URL must start with http:// or https://.' }
  return { body }
}
