// Who is logged in: the account, its role and the names of its areas.
import { reactive } from 'vue'
import { get, post, setTokens, hasRefreshToken, refreshOnce } from '../api/client'
import type { Me, Feature, AreaProps } from '../api/types'

export const ROLE_LABELS: Record<Me['role'], string> = {
  admin: '系统管理员',
  district_staff: '区级工作人员',
  street_staff: '街道工作人员',
  grid_worker: '网格员',
}

export interface AreaInfo {
  code: string
  name: string
  level: AreaProps['level']
}

export const session = reactive({
  me: null as Me | null,
  areas: [] as AreaInfo[],
  ready: false,
})

async function loadMe() {
  const me = await get<Me>('/auth/me')
  const areas = await Promise.all(
    me.areas.map(async (code) => {
      const f = await get<Feature<AreaProps>>(`/areas/${code}`)
      return { code, name: f.properties.name, level: f.properties.level }
    }),
  )
  session.me = me
  session.areas = areas
}

export async function login(username: string, password: string) {
  setTokens(await post('/auth/login', { username, password }))
  await loadMe()
}

/** On page load: a refresh token kept for this tab means the clerk is still logged in. */
export async function restore() {
  try {
    if (hasRefreshToken() && (await refreshOnce())) await loadMe()
  } finally {
    session.ready = true
  }
}

export async function logout() {
  try {
    await post('/auth/logout')
  } finally {
    setTokens(null)
    session.me = null
    session.areas = []
  }
}

export function isStaff(): boolean {
  return !!session.me && ['street_staff', 'district_staff', 'admin'].includes(session.me.role)
}

export function canReveal(): boolean {
  return !!session.me && ['street_staff', 'district_staff'].includes(session.me.role)
}

/** The area a screen starts from: the caller's first area. */
export function homeArea(): AreaInfo | null {
  return session.areas[0] || null
}
