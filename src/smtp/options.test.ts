import { describe, expect, it } from 'vitest'
import { ENCRYPTIONS } from './options.js'

describe('options', () => {
  it('lists the three encryption modes of the E-Mail page', () => {
    expect(ENCRYPTIONS).toEqual(['NONE', 'SSL', 'TLS'])
  })
})
