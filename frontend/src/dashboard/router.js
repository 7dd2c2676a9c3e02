import { createRouter, createWebHistory } from 'vue-router'
import { hasPermission, isAdministrator, isSuperAdmin, mustEnrolTwoFactor, selectAccount, session } from './session.js'

export function homePath() {
  if (!session.token) return '/app/login'
  if (session.accountId != null) return '/app/accounts/' + session.accountId + '/conversations'
  return isSuperAdmin() ? '/app/super_admin' : '/app/login'
}

export const settingsHome = () => (isAdministrator() ? 'settings-inboxes' : 'settings-canned')

const routes = [
  { path: '/app/login', name: 'login', component: () => import('./views/SignIn.vue') },
  { path: '/app/auth/reset', name: 'password-reset', component: () => import('./views/PasswordReset.vue') },
  {
    path: '/app/accounts/:accountId(\\d+)/conversations/:conversationId(\\d+)?',
    name: 'conversations',
    component: () => import('./views/Inbox.vue'),
    meta: { auth: true },
  },
  {
    path: '/app/accounts/:accountId(\\d+)/contacts/:contactId(\\d+)?',
    name: 'contacts',
    component: () => import('./views/Contacts.vue'),
    meta: { auth: true, permission: 'contact_manage' },
  },
  {
    // Settings: every screen is its own lazily loaded chunk. Agents see the read-only
    // screens (canned responses, labels); the rest is for administrators (meta.admin).
    path: '/app/accounts/:accountId(\\d+)/settings',
    component: () => import('./views/Settings.vue'),
    meta: { auth: true },
    children: [
      { path: '', name: 'settings', redirect: (to) => ({ name: settingsHome(), params: { accountId: to.params.accountId } }) },
      { path: 'inboxes', name: 'settings-inboxes', component: () => import('./settings/Inboxes.vue'), meta: { admin: true } },
      { path: 'inboxes/new', name: 'settings-inbox-new', component: () => import('./settings/InboxForm.vue'), meta: { admin: true } },
      { path: 'inboxes/:inboxId(\\d+)', name: 'settings-inbox', component: () => import('./settings/InboxForm.vue'), meta: { admin: true } },
      { path: 'agents', name: 'settings-agents', component: () => import('./settings/Agents.vue'), meta: { admin: true } },
      { path: 'teams/:teamId(\\d+)?', name: 'settings-teams', component: () => import('./settings/Teams.vue'), meta: { admin: true } },
      { path: 'canned-responses', name: 'settings-canned', component: () => import('./settings/CannedResponses.vue') },
      { path: 'labels', name: 'settings-labels', component: () => import('./settings/Labels.vue') },
      { path: 'account', name: 'settings-account', component: () => import('./settings/Account.vue'), meta: { admin: true } },
      { path: 'macros', name: 'settings-macros', component: () => import('./settings/Macros.vue') },
      { path: 'notifications', name: 'settings-notifications', component: () => import('./settings/NotificationSettings.vue') },
      { path: 'two-factor', name: 'settings-two-factor', component: () => import('./settings/TwoFactor.vue') },
      { path: 'automation', name: 'settings-automation', component: () => import('./settings/AutomationRules.vue'), meta: { admin: true } },
      { path: 'agent-bots', name: 'settings-agent-bots', component: () => import('./settings/AgentBots.vue'), meta: { admin: true } },
      { path: 'webhooks', name: 'settings-webhooks', component: () => import('./settings/Webhooks.vue'), meta: { admin: true } },
      { path: 'custom-attributes', name: 'settings-custom-attributes', component: () => import('./settings/CustomAttributes.vue'), meta: { admin: true } },
      { path: 'dashboard-apps', name: 'settings-dashboard-apps', component: () => import('./settings/DashboardApps.vue'), meta: { admin: true } },
      { path: 'integrations', name: 'settings-integrations', component: () => import('./settings/Integrations.vue'), meta: { admin: true } },
      { path: 'sla', name: 'settings-sla', component: () => import('./settings/SlaPolicies.vue'), meta: { admin: true } },
      { path: 'audit-logs', name: 'settings-audit-logs', component: () => import('./settings/AuditLogs.vue'), meta: { admin: true } },
      { path: 'roles', name: 'settings-roles', component: () => import('./settings/CustomRoles.vue'), meta: { admin: true } },
    ],
  },
  {
    // The help center: portals, their categories and articles. Every member of the account
    // reads it (agents look up articles to send); the screens show their write controls only
    // to those who may write (helpCenter/access.js). One lazily loaded chunk a screen.
    path: '/app/accounts/:accountId(\\d+)/help-center',
    component: () => import('./views/HelpCenter.vue'),
    meta: { auth: true },
    children: [
      { path: '', name: 'help-center', component: () => import('./helpCenter/Portals.vue') },
      { path: 'portals/:portalSlug/settings', name: 'hc-portal', component: () => import('./helpCenter/PortalSettings.vue') },
      { path: 'portals/:portalSlug/categories', name: 'hc-categories', component: () => import('./helpCenter/Categories.vue') },
      { path: 'portals/:portalSlug/articles', name: 'hc-articles', component: () => import('./helpCenter/Articles.vue') },
      { path: 'portals/:portalSlug/articles/new', name: 'hc-article-new', component: () => import('./helpCenter/ArticleEditor.vue') },
      { path: 'portals/:portalSlug/articles/:articleId(\\d+)', name: 'hc-article', component: () => import('./helpCenter/ArticleEditor.vue') },
    ],
  },
  {
    // Captain (issue 14): assistants and the provider settings (administrators: meta.admin,
    // elsewhere sent to the FAQs); FAQs, documents and the playground (also custom roles
    // granting knowledge_base_manage). captain/access.js decides
    // what the screens show. One lazily loaded chunk a screen.
    path: '/app/accounts/:accountId(\\d+)/captain',
    component: () => import('./views/Captain.vue'),
    meta: { auth: true, permission: 'knowledge_base_manage' },
    children: [
      { path: '', name: 'captain', redirect: (to) => ({ name: isAdministrator() ? 'captain-assistants' : 'captain-faqs', params: { accountId: to.params.accountId } }) },
      { path: 'assistants', name: 'captain-assistants', component: () => import('./captain/Assistants.vue'), meta: { admin: true, otherwise: 'captain-faqs' } },
      { path: 'assistants/new', name: 'captain-assistant-new', component: () => import('./captain/AssistantEditor.vue'), meta: { admin: true, otherwise: 'captain-faqs' } },
      { path: 'assistants/:assistantId(\\d+)', name: 'captain-assistant', component: () => import('./captain/AssistantEditor.vue'), meta: { admin: true, otherwise: 'captain-faqs' } },
      { path: 'assistants/:assistantId(\\d+)/scenarios', name: 'captain-scenarios', component: () => import('./captain/Scenarios.vue'), meta: { admin: true, otherwise: 'captain-faqs' } },
      { path: 'assistants/:assistantId(\\d+)/playground', name: 'captain-playground', component: () => import('./captain/Playground.vue') },
      { path: 'playground', name: 'captain-playground-home', component: () => import('./captain/PlaygroundHome.vue') },
      { path: 'faqs', name: 'captain-faqs', component: () => import('./captain/Faqs.vue') },
      { path: 'documents', name: 'captain-documents', component: () => import('./captain/Documents.vue') },
      { path: 'settings', name: 'captain-settings', component: () => import('./captain/ProviderSettings.vue'), meta: { admin: true, otherwise: 'captain-faqs' } },
    ],
  },
  {
    // Reports (issue 15): administrators and custom roles granting report_manage
    // (reports/access.js decides the nav entry; meta.permission the route). One lazily
    // loaded chunk a screen; uPlot only in the charting ones. CSAT and SLA add their line
    // below (names 'reports-csat', 'reports-sla': the section's nav shows them when routed).
    path: '/app/accounts/:accountId(\\d+)/reports',
    component: () => import('./views/Reports.vue'),
    meta: { auth: true, permission: 'report_manage' },
    children: [
      { path: '', name: 'reports', redirect: (to) => ({ name: 'reports-overview', params: { accountId: to.params.accountId } }) },
      { path: 'overview', name: 'reports-overview', component: () => import('./reports/Overview.vue') },
      { path: 'conversations', name: 'reports-conversations', component: () => import('./reports/Conversations.vue') },
      { path: 'traffic', name: 'reports-traffic', component: () => import('./reports/Traffic.vue') },
      // The agent / inbox / team / label / channel tables: one screen, its kind in meta.
      ...['agent', 'inbox', 'team', 'label', 'channel'].map((kind) => ({
        path: kind === 'inbox' ? 'inboxes' : kind + 's',
        name: 'reports-' + (kind === 'inbox' ? 'inboxes' : kind + 's'),
        component: () => import('./reports/Breakdown.vue'),
        meta: { kind },
      })),
      { path: 'csat', name: 'reports-csat', component: () => import('./reports/CsatReport.vue') },
      { path: 'sla', name: 'reports-sla', component: () => import('./reports/SlaReport.vue') },
      // Captain's usage per month and assistant (GET captain/usage?month=) and the bot figures.
      { path: 'captain', name: 'reports-captain', component: () => import('./reports/CaptainReport.vue') },
    ],
  },
  {
    // Campaigns (issue 16): administrators only, as the campaigns API (meta.admin; the nav
    // entry asks campaigns/access.js). Ongoing (live chat) and one-off (SMS / WhatsApp)
    // campaigns, each screen a lazily loaded chunk.
    path: '/app/accounts/:accountId(\\d+)/campaigns',
    component: () => import('./views/Campaigns.vue'),
    meta: { auth: true, admin: true, otherwise: 'conversations' },
    children: [
      { path: '', name: 'campaigns', redirect: (to) => ({ name: 'campaigns-ongoing', params: { accountId: to.params.accountId } }) },
      { path: 'ongoing', name: 'campaigns-ongoing', component: () => import('./campaigns/OngoingCampaigns.vue') },
      { path: 'one_off', name: 'campaigns-one_off', component: () => import('./campaigns/OneOffCampaigns.vue') },
    ],
  },
  // Two-factor sign-in of the signed-in user: outside any account, so a member whose account
  // requires it (and refuses them until then) can enrol here first.
  { path: '/app/profile/two-factor', name: 'two-factor', component: () => import('./views/TwoFactor.vue'), meta: { auth: true } },
  { path: '/app/super_admin/:section(accounts|users|platform-apps|agent-bots|status)?', name: 'super_admin', component: () => import('./views/SuperAdmin.vue'), meta: { auth: true, superAdmin: true } },
  { path: '/:rest(.*)*', redirect: () => homePath() },
]

export function createAppRouter(history = createWebHistory()) {
  const router = createRouter({ history, routes })
  router.beforeEach((to) => {
    if (to.name === 'login' && session.token) return homePath()
    if (to.meta.auth && !session.token) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
    if (to.meta.auth && !to.meta.superAdmin && to.name !== 'two-factor' && mustEnrolTwoFactor()) return { name: 'two-factor' }
    if (to.meta.superAdmin && !isSuperAdmin()) return homePath()
    if (to.params.accountId) {
      const id = Number(to.params.accountId)
      const member = ((session.user && session.user.accounts) || []).some((a) => a.id === id)
      if (!member) return homePath()
      if (session.accountId !== id) selectAccount(id)
      if (to.meta.admin && !isAdministrator()) return { name: to.meta.otherwise || settingsHome(), params: { accountId: to.params.accountId } }
      if (to.meta.permission && !hasPermission(to.meta.permission)) return homePath()
    }
    return true
  })
  return router
}
