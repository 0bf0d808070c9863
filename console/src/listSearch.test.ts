import { describe, expect, it } from 'vitest'
import { flag } from './listSearch'

describe('a 是/否/全部 select as an API filter', () => {
  it('sends true, false, or nothing', () => {
    expect(flag('true')).toBe(true)
    expect(flag('false')).toBe(false)
    expect(flag('')).toBeUndefined()
  })
})
