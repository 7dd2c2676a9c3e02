// Direct upload of one file to S3 with the presigned POST Parley's direct_uploads answer
// gives (url + form fields). XMLHttpRequest, not fetch: fetch reports no upload progress.
// Resolves with the signed_id a message names in `attachments`.
export function uploadFile(presigned, file, onProgress) {
  return new Promise((resolve, reject) => {
    const target = presigned && presigned.direct_upload
    if (!target || !target.url) return reject(new Error('The server gave no upload address.'))
    const form = new FormData()
    Object.entries(target.fields || {}).forEach(([k, v]) => form.append(k, v))
    form.append('file', file) // S3 wants the file last
    const xhr = new XMLHttpRequest()
    xhr.open('POST', target.url)
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress && onProgress(e.loaded / e.total)
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve(presigned.signed_id)
      const code = /<Code>([^<]+)<\/Code>/.exec(xhr.responseText || '')
      reject(new Error(code && code[1] === 'EntityTooLarge' ? 'The file is too large.' : 'Upload failed (' + xhr.status + ').'))
    }
    xhr.onerror = () => reject(new Error('Upload failed: could not reach storage.'))
    xhr.send(form)
  })
}

// A pending attachment as the composers show it: name, progress, a preview for images.
export function pendingFile(file) {
  const image = /^image\/(png|jpeg|gif|webp)$/.test(file.type)
  return { key: Math.random().toString(36).slice(2), file, name: file.name || 'file', progress: 0, status: 'uploading',
    error: '', signedId: null, preview: image && globalThis.URL && URL.createObjectURL ? URL.createObjectURL(file) : '' }
}

// Start uploading `item` (from pendingFile) with `presign(file)` -> direct_uploads answer.
export async function startUpload(item, presign) {
  try {
    const presigned = await presign(item.file)
    item.signedId = await uploadFile(presigned, item.file, (p) => { item.progress = p })
    item.progress = 1
    item.status = 'ready'
  } catch (err) {
    item.status = 'error'
    item.error = err.message || 'Upload failed.'
  }
  return item
}
