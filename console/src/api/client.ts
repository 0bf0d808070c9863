// The one way the console talks to the server: /api/v1 with a bearer token.
//
// Where the tokens live: the access token only in this module's memory (never in storage, so a
// script injected into another page of the origin has nothing lasting to read); the refresh
// token in sessionStorage, because the API takes it as a bearer token (not a cookie) and a page
// reload must not log the clerk out. sessionStorage belongs to this tab alone and is gone when
// the tab is closed, so a shared desk PC does not keep a login; the API rotates the refresh
// token on every use and revokes the whole family when a used one comes back.
import { problemMessage, fieldMessages } from './problems'

const REFRESH_KEY = 'gridgov.refresh'
const BASE = '/api/v1'

let access: string | null = null
let refreshing: Promise<boolean> | null = null

export interface Problem {
  status: number
  code: string
  title?: string
  detail?: string
  errors?: { field: string; in?: string; message: string }[]
}

export class ApiError extends Error {
  status: number
  code: string
  problem: Problem
  /** Chinese message per field the API named (the last part of its path). */
  fields: Record<string, string>
  constructor(problem: Problem) {
    super(problemMessage(problem))
    this.status = problem.status
    this.code = problem.code
    this.problem = problem
    this.fields = fieldMessages(problem)
  }
  /** A failure worth retrying: the network, or the server saying it is unavailable. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 503 || this.status === 502 || this.status === 504
  }
}

/** Called when the session cannot be renewed; resolves once the user has logged in again. */
let onExpired: (() => Promise<void>) | null = null
export function setExpiredHandler(handler: () => Promise<void>) {
  onExpired = handler
}

export function hasRefreshToken(): boolean {
  return sessionStorage.getItem(REFRESH_KEY) !== null
}

export function setTokens(pair: { access_token: string; refresh_token: string } | null) {
  access = pair ? pair.access_token : null
  if (pair) sessionStorage.setItem(REFRESH_KEY, pair.refresh_token)
  else sessionStorage.removeItem(REFRESH_KEY)
}

/** Exchange the refresh token for a new pair, once for every request waiting on it. */
export function refreshOnce(): Promise<boolean> {
  if (!refreshing) {
    refreshing = (async () => {
      const token = sessionStorage.getItem(REFRESH_KEY)
      if (!token) return false
      try {
        const r = await fetch(`${BASE}/auth/refresh`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}` },
        })
        if (!r.ok) {
          if (r.status === 401 || r.status === 422) setTokens(null)
          return false
        }
        setTokens(await r.json())
        return true
      } catch {
        return false
      } finally {
        refreshing = null
      }
    })()
  }
  return refreshing
}

export type Query = Record<string, string | number | boolean | undefined | null>

export function url(path: string, query?: Query): string {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v))
  }
  const qs = params.toString()
  return `${BASE}${path}${qs ? `?${qs}` : ''}`
}

export function authHeader(): Record<string, string> {
  return access ? { Authorization: `Bearer ${access}` } : {}
}

async function send(method: string, target: string, body?: unknown): Promise<Response> {
  try {
    return await fetch(target, {
      method,
      headers: {
        ...authHeader(),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    })
  } catch {
    throw new ApiError({ status: 0, code: 'network' })
  }
}

async function problemOf(r: Response): Promise<ApiError> {
  let problem: Problem = { status: r.status, code: `http_${r.status}` }
  try {
    const parsed = await r.json()
    if (parsed && typeof parsed === 'object') problem = { ...problem, ...parsed, status: r.status }
  } catch {
    /* not JSON: keep the status */
  }
  return new ApiError(problem)
}

/** A response, after one silent refresh on 401; on a second 401 the user logs in again
 * (in a dialog over the screen, so the form they were filling in stays as it was). */
export async function request(method: string, path: string, opts: { query?: Query; body?: unknown } = {}) {
  const target = url(path, opts.query)
  let r = await send(method, target, opts.body)
  if (r.status === 401 && !path.startsWith('/auth/login')) {
    if (await refreshOnce()) {
      r = await send(method, target, opts.body)
    }
    if (r.status === 401 && onExpired) {
      await onExpired()
      r = await send(method, target, opts.body)
    }
  }
  if (!r.ok) throw await problemOf(r)
  return r
}

export async function api<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
  const r = await request(method, path, opts)
  if (r.status === 204) return undefined as T
  return (await r.json()) as T
}

export const get = <T>(path: string, query?: Query) => api<T>('GET', path, { query })
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, { body })
export const patch = <T>(path: string, body?: unknown) => api<T>('PATCH', path, { body })

/** Fetch a file through the API (with the token) and hand it to the browser as a download. */
export async function download(path: string, query: Query, fallbackName: string) {
  const r = await request('GET', path, { query })
  const blob = await r.blob()
  const disposition = r.headers.get('Content-Disposition') || ''
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)
  const name = match ? decodeURIComponent(match[1]) : fallbackName
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 10000)
}
