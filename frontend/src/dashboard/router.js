import { createRouter, createWebHistory } from 'vue-router'
import { isSuperAdmin, selectAccount, session } from './session.js'

export function homePath() {
  if (!session.token) return '/app/login'
  if (session.accountId != null) return '/app/accounts/' + session.accountId + '/conversations'
  return isSuperAdmin() ? '/app/super_admin' : '/app/login'
}

const routes = [
  { path: '/app/login', name: 'login', component: () => import('./views/SignIn.vue') },
  {
    path: '/app/accounts/:accountId(\\d+)/conversations/:conversationId(\\d+)?',
    name: 'conversations',
    component: () => import('./views/Inbox.vue'),
    meta: { auth: true },
  },
  { path: '/app/super_admin', name: 'super_admin', component: () => import('./views/SuperAdmin.vue'), meta: { auth: true, superAdmin: true } },
  { path: '/:rest(.*)*', redirect: () => homePath() },
]

export function createAppRouter(history = createWebHistory()) {
  const router = createRouter({ history, routes })
  router.beforeEach((to) => {
    if (to.name === 'login' && session.token) return homePath()
    if (to.meta.auth && !session.token) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
    if (to.meta.superAdmin && !isSuperAdmin()) return homePath()
    if (to.params.accountId) {
      const id = Number(to.params.accountId)
      const member = ((session.user && session.user.accounts) || []).some((a) => a.id === id)
      if (!member) return homePath()
      if (session.accountId !== id) selectAccount(id)
    }
    return true
  })
  return router
}
