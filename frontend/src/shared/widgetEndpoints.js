// The widget's API paths (Chatwoot's /api/v1/widget/*). Kept apart from endpoints.js, which
// re-exports them, so the widget bundle carries only these few strings.
const W = '/api/v1/widget/'

export const widgetEndpoints = {
  config: W + 'config',
  conversations: W + 'conversations',
  messages: W + 'messages',
  directUploads: W + 'direct_uploads',
  contact: W + 'contact',
  setUser: W + 'contact/set_user',
  destroyContactAttributes: W + 'contact/destroy_custom_attributes',
  lastSeen: W + 'conversations/update_last_seen',
  typing: W + 'conversations/toggle_typing',
  setConversationAttributes: W + 'conversations/set_custom_attributes',
  destroyConversationAttributes: W + 'conversations/destroy_custom_attributes',
  labels: W + 'labels',
  label: (name) => W + 'labels/' + encodeURIComponent(name),
  campaigns: W + 'campaigns',
  events: W + 'events',
}
