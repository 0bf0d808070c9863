import { describe, expect, it } from 'vitest'
import { classes, colourOf, valueOf } from './measures'

describe('choropleth classes', () => {
  it('puts every value in exactly one class, in order', () => {
    const values = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    const legend = classes(values)
    expect(legend.length).toBe(5)
    expect(legend.reduce((n, c) => n + c.count, 0)).toBe(values.length)
    for (let i = 1; i < legend.length; i++) expect(legend[i].from).toBeGreaterThan(legend[i - 1].to)
  })

  it('never splits equal values and copes with one distinct value', () => {
    expect(classes([3, 3, 3])).toEqual([{ from: 3, to: 3, colour: expect.any(String), count: 3 }])
    const legend = classes([0, 0, 0, 0, 10])
    expect(legend.map((c) => c.count)).toEqual([4, 1])
  })

  it('colours a value by the class it falls in', () => {
    const legend = classes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(colourOf(legend, 1)).toBe(legend[0].colour)
    expect(colourOf(legend, 10)).toBe(legend[legend.length - 1].colour)
  })

  it('reads nested measures by their flat key', () => {
    expect(valueOf({ age_bands: { '80+': 7 } }, 'age_bands.80+')).toBe(7)
    expect(valueOf({ population: 12 }, 'population')).toBe(12)
  })
})
