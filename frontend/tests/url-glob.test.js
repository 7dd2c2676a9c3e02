import { describe, expect, it } from 'vitest'
import { globMatch } from '../src/shared/urlGlob.js'
import shared from '../../tests/fixtures/url_glob_vectors.json'

// The same vectors as the server's matcher (tests/unit/test_url_glob.py): the two cannot drift.
const { vectors } = shared

describe('campaign URL globs (loader port of url_glob.py)', () => {
  it('has the shared vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(30)
  })
  it.each(vectors)('%s ~ %s -> %s', (pattern, url, expected) => {
    expect(globMatch(pattern, url)).toBe(expected)
  })
  it('finishes fast on a pathological pair', () => {
    const pattern = 'https://a.example/' + '*a'.repeat(10) + 'b'
    const started = performance.now()
    expect(globMatch(pattern, 'https://a.example/' + 'a'.repeat(20000))).toBe(false)
    expect(performance.now() - started).toBeLessThan(500)
  })
})
