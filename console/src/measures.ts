// The statistics measures the console shows, with their Chinese names, and the class breaks of
// a choropleth legend.
export const MEASURES: { key: string; label: string }[] = [
  { key: 'population', label: '实有人口' },
  { key: 'residents', label: '户籍人口' },
  { key: 'floating', label: '流动人口' },
  { key: 'households', label: '实有户数' },
  { key: 'houses', label: '房屋' },
  { key: 'vacant', label: '空置房屋' },
  { key: 'rentals', label: '出租房屋' },
  { key: 'tenants', label: '租住人员' },
  { key: 'people_per_rental', label: '户均租住人数' },
  { key: 'overcrowded_rentals', label: '群租房' },
  { key: 'age_bands.0-5', label: '0–5岁' },
  { key: 'age_bands.6-17', label: '6–17岁' },
  { key: 'age_bands.18-59', label: '18–59岁' },
  { key: 'age_bands.60-79', label: '60–79岁' },
  { key: 'age_bands.80+', label: '80岁以上' },
]

/** The measures a choropleth may colour by (issue 13: population, floating, rentals,
 * overcrowded rentals, 80+). */
export const CHOROPLETH = ['population', 'floating', 'rentals', 'overcrowded_rentals', 'age_bands.80+']

export const measureLabel = (key: string) => MEASURES.find((m) => m.key === key)?.label ?? key

/** A value of a stats answer by a flat key ('age_bands.80+' reads values.age_bands['80+']). */
export function valueOf(values: Record<string, unknown>, key: string): number {
  if (key in values) return Number(values[key]) || 0
  const [head, tail] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)]
  const nested = values[head] as Record<string, number> | undefined
  return nested ? Number(nested[tail]) || 0 : 0
}

export const COLOURS = ['#eff3ff', '#bdd7e7', '#6baed6', '#3182bd', '#08519c']

export interface LegendClass {
  from: number
  to: number
  colour: string
  count: number
}

/** Up to five classes of equal count (quantiles) over the values, each [from, to] inclusive,
 * with how many areas fall in it. Equal values never straddle two classes. */
export function classes(values: number[], n = COLOURS.length): LegendClass[] {
  const sorted = [...values].sort((a, b) => a - b)
  if (!sorted.length) return []
  const breaks: number[] = []
  for (let i = 1; i < n; i++) {
    const b = sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / n))]
    if (b > sorted[0] && !breaks.includes(b)) breaks.push(b)
  }
  const lows = [sorted[0], ...breaks]
  const colours = lows.length === 1 ? [COLOURS[2]] : COLOURS.slice(COLOURS.length - lows.length)
  return lows.map((from, i) => {
    const next = lows[i + 1]
    const members = sorted.filter((v) => v >= from && (next === undefined || v < next))
    return {
      from,
      to: members.length ? members[members.length - 1] : from,
      colour: colours[i],
      count: members.length,
    }
  })
}

/** The colour of one value under a legend. */
export function colourOf(legend: LegendClass[], value: number): string {
  let colour = legend.length ? legend[0].colour : COLOURS[0]
  for (const c of legend) if (value >= c.from) colour = c.colour
  return colour
}
