// shared/upload.js: the presigned POST a browser makes, progress, and S3's refusals.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startUpload, uploadFile } from '../src/shared/upload.js'

let sent = []
class FakeXhr {
  constructor() {
    this.upload = {}
    sent.push(this)
  }
  open(method, url) {
    this.method = method
    this.url = url
  }
  send(form) {
    this.form = form
  }
  answer(status, text = '') {
    this.upload.onprogress && this.upload.onprogress({ lengthComputable: true, loaded: 5, total: 10 })
    this.status = status
    this.responseText = text
    this.onload()
  }
}

const presigned = { signed_id: 'uploads/1/u2/abc/a.png', direct_upload: { url: 'https://s3.test/bucket', fields: { key: 'k', policy: 'p' } } }

afterEach(() => {
  sent = []
  vi.unstubAllGlobals()
})

describe('uploadFile', () => {
  it('posts the policy fields, then the file, and resolves with the signed id', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXhr)
    const progress = []
    const done = uploadFile(presigned, new Blob(['x']), (p) => progress.push(p))
    const xhr = sent[0]
    expect([xhr.method, xhr.url]).toEqual(['POST', 'https://s3.test/bucket'])
    expect([...xhr.form.keys()]).toEqual(['key', 'policy', 'file'])
    xhr.answer(204)
    await expect(done).resolves.toBe('uploads/1/u2/abc/a.png')
    expect(progress).toEqual([0.5])
  })

  it('says a file is too large when S3 refuses it', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXhr)
    const done = uploadFile(presigned, new Blob(['x']))
    sent[0].answer(400, '<Error><Code>EntityTooLarge</Code></Error>')
    await expect(done).rejects.toThrow('too large')
  })

  it('marks the pending item failed with the server message when presigning fails', async () => {
    const item = { file: new Blob(['x']), progress: 0, status: 'uploading' }
    await startUpload(item, () => Promise.reject(new Error('The file is 50 bytes; the limit is 0 MB')))
    expect(item.status).toBe('error')
    expect(item.error).toContain('limit')
  })
})
