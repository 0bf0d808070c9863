// A list screen's search, kept across a reload and the browser's back button: the filters and
// the page in the URL query; the personal values (a name, a phone number) and the pages behind
// in the tab's history state instead, because a reload sends the URL to the server and names
// and phone numbers must not reach its access log (the API takes them in a POST body for the
// same reason).
import { reactive, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { ApiError } from './api/client'

type Values = Record<string, string>

/** `fetchPage` loads one page for the filters and cursor and answers the next cursor. */
export function useListSearch<F extends Values>(
  defaults: F,
  personal: string[],
  fetchPage: (filters: F, after: string | null) => Promise<string | null>,
) {
  const route = useRoute()
  const router = useRouter()
  const path = route.path
  const form = reactive({ ...defaults }) as F
  const state = reactive({
    after: null as string | null,
    behind: [] as string[],
    next: null as string | null,
    loading: false,
    error: null as ApiError | null,
  })
  let shown = ''

  function fromLocation() {
    const saved = (window.history.state || {}) as { personal?: Values; behind?: string[] }
    for (const key of Object.keys(defaults)) {
      const value = personal.includes(key) ? saved.personal?.[key] : route.query[key]
      ;(form as Values)[key] = typeof value === 'string' ? value : defaults[key]
    }
    state.after = typeof route.query.after === 'string' ? route.query.after : null
    state.behind = Array.isArray(saved.behind) ? [...saved.behind] : []
  }

  async function run() {
    state.loading = true
    state.error = null
    try {
      state.next = await fetchPage({ ...form }, state.after)
    } catch (e) {
      if (!(e instanceof ApiError)) throw e
      state.error = e
      state.next = null
    } finally {
      state.loading = false
    }
  }

  function go(after: string | null, behind: string[]) {
    const query: Values = {}
    const kept: Values = {}
    for (const [key, value] of Object.entries(form)) {
      if (value === '' || value === defaults[key]) continue
      if (personal.includes(key)) kept[key] = value
      else query[key] = value
    }
    if (after) query.after = after
    state.after = after
    state.behind = behind
    shown = router.resolve({ path, query }).fullPath
    // force: the same URL with other personal values is still a new search.
    router.push({ path, query, state: { personal: kept, behind }, force: true })
    return run()
  }

  const search = () => go(null, [])
  const forward = () => (state.next ? go(state.next, [...state.behind, state.after ?? '']) : undefined)
  function back() {
    const behind = [...state.behind]
    const previous = behind.pop()
    return go(previous || null, behind)
  }
  function reset() {
    Object.assign(form, defaults)
    return search()
  }

  // The browser's back and forward between two searches of this screen.
  watch(
    () => route.fullPath,
    (now) => {
      if (route.path !== path || now === shown) return
      shown = now
      fromLocation()
      run()
    },
  )
  fromLocation()
  shown = route.fullPath
  run()
  return { form, state, search, forward, back, reset, reload: run }
}

/** 'true' / 'false' from a select of 是/否, or nothing when it says 全部. */
export function flag(value: string): boolean | undefined {
  return value === 'true' ? true : value === 'false' ? false : undefined
}
