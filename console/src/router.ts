import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { session } from './stores/session'
import type { Me } from './api/types'

type Role = Me['role']
const DESK: Role[] = ['street_staff', 'district_staff']

/** Every screen with the roles that see it; the menu is built from the same list. */
export const SCREENS: (RouteRecordRaw & { meta: { title: string; roles: Role[]; menu?: boolean } })[] = [
  { path: '/map', name: 'map', component: () => import('./views/MapView.vue'), meta: { title: '地图', roles: DESK, menu: true } },
  { path: '/stats/:code?', name: 'stats', component: () => import('./views/StatsView.vue'), meta: { title: '统计', roles: DESK, menu: true } },
  { path: '/persons', name: 'persons', component: () => import('./views/PersonsView.vue'), meta: { title: '人员', roles: DESK, menu: true } },
  { path: '/persons/:id', name: 'person', component: () => import('./views/PersonView.vue'), meta: { title: '人员详情', roles: DESK } },
  { path: '/houses', name: 'houses', component: () => import('./views/HousesView.vue'), meta: { title: '房屋', roles: DESK, menu: true } },
  { path: '/houses/:code', name: 'house', component: () => import('./views/HouseView.vue'), meta: { title: '房屋详情', roles: DESK } },
  { path: '/buildings/:code?', name: 'building', component: () => import('./views/BuildingView.vue'), meta: { title: '楼盘表', roles: DESK, menu: true } },
  { path: '/transfers', name: 'transfers', component: () => import('./views/TransfersView.vue'), meta: { title: '迁入申请', roles: DESK, menu: true } },
  { path: '/review', name: 'review', component: () => import('./views/review/ReviewView.vue'), meta: { title: '申报审核', roles: DESK, menu: true } },
  { path: '/visits', name: 'visits', component: () => import('./views/VisitsView.vue'), meta: { title: '上门核查', roles: DESK, menu: true } },
  { path: '/window', name: 'window', component: () => import('./views/WindowView.vue'), meta: { title: '窗口登记', roles: ['street_staff'], menu: true } },
  { path: '/conflicts', name: 'conflicts', component: () => import('./views/ConflictsView.vue'), meta: { title: '冲突', roles: DESK, menu: true } },
  { path: '/redraw', name: 'redraw', component: () => import('./views/RedrawView.vue'), meta: { title: '网格调整', roles: DESK, menu: true } },
  { path: '/users', name: 'users', component: () => import('./views/UsersView.vue'), meta: { title: '账号', roles: ['admin'], menu: true } },
  { path: '/worker', name: 'worker', component: () => import('./views/WorkerNotice.vue'), meta: { title: '网格员', roles: ['grid_worker'] } },
]

export function home(role: Role | undefined): string {
  if (role === 'admin') return '/users'
  if (role === 'grid_worker') return '/worker'
  return '/map'
}

export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { title: '登录' } },
    // The residents' page: no login, outside the desk frame.
    { path: '/declare', name: 'declare', component: () => import('./views/declare/DeclareView.vue'), meta: { title: '居民自主申报', public: true } },
    {
      path: '/',
      component: () => import('./views/FrameView.vue'),
      children: [{ path: '', redirect: () => home(session.me?.role) }, ...SCREENS],
    },
    { path: '/:rest(.*)', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if ((to.meta as { public?: boolean }).public) {
    document.title = `${(to.meta as { title?: string }).title} · 网格化社会治理`
    return true
  }
  if (to.name === 'login') return session.me ? home(session.me.role) : true
  if (!session.me) return { name: 'login', query: { next: to.fullPath } }
  const roles = (to.meta as { roles?: Role[] }).roles
  if (roles && !roles.includes(session.me.role)) return home(session.me.role)
  document.title = `${(to.meta as { title?: string }).title || ''} · 网格化社会治理工作台`
  return true
})
