// Code tables with their labels, loaded once per login from GET /api/v1/codes.
import { reactive } from 'vue'
import { get } from '../api/client'

type Tables = Record<string, { version: number; codes: { code: string; label: string }[] }>

export const codes = reactive({ tables: {} as Record<string, Record<string, string>>, loaded: false })

let loading: Promise<void> | null = null

export function loadCodes(): Promise<void> {
  if (!loading) {
    loading = get<{ tables: Tables }>('/codes')
      .then(({ tables }) => {
        const out: Record<string, Record<string, string>> = {}
        for (const [name, t] of Object.entries(tables)) {
          out[name] = Object.fromEntries(t.codes.map((c) => [c.code, c.label]))
        }
        codes.tables = out
        codes.loaded = true
      })
      .catch((e) => {
        loading = null
        throw e
      })
  }
  return loading
}

export function label(table: string, code: string | null | undefined): string {
  if (code === null || code === undefined || code === '') return '—'
  return codes.tables[table]?.[code] ?? code
}
