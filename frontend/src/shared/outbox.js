// Optimistic sending, shared by the dashboard and the widget: a message is shown at once
// with status "sending" (keyed by its echo_id), the server's copy replaces it, a failure
// leaves it "failed" with the reason so it can be retried.
import { echoId, upsertMessage } from './text.js'

// The local copy of a message being sent. `files`: uploaded attachments [{ signedId }];
// `fields` are the app's own (message_type, sender, private, attachments to preview, ...).
export function outgoing(text, files, fields) {
  return {
    id: null,
    echo_id: echoId(),
    content: text,
    content_type: 'text',
    status: 'sending',
    ...fields,
    _uploads: files.map((f) => f.signedId),
    _localAt: Date.now() + Math.random(),
  }
}

// Sends `local` (already in `list`) with post(local); merges the answer and calls
// onSaved(saved). Resolves true when the server has it, false when it failed.
export async function deliver(list, local, post, onSaved) {
  upsertMessage(list, { echo_id: local.echo_id, status: 'sending', error: '' })
  try {
    const saved = { ...(await post(local)), echo_id: local.echo_id }
    if (!saved.status || saved.status === 'sending') saved.status = 'sent'
    upsertMessage(list, saved)
    if (onSaved) onSaved(saved)
    return true
  } catch (err) {
    upsertMessage(list, { echo_id: local.echo_id, status: 'failed', error: err.message })
    return false
  }
}

// The unsent message with this echo_id, if it is still in `list`.
export const unsent = (list, echo) => (list || []).find((m) => m.echo_id === echo && m.id == null)

// The body of a direct upload request (a presigned S3 POST) for one file.
export const blobOf = (file) => ({
  blob: { filename: file.name || 'file', byte_size: file.size, content_type: file.type || 'application/octet-stream' },
})
