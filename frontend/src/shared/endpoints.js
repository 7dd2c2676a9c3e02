// Every API path the dashboard calls, built here and nowhere else (the widget's are in
// widgetEndpoints.js, re-exported below). Components and stores name an endpoint; they do
// not concatenate paths.
export { widgetEndpoints } from './widgetEndpoints.js'

// '/a', 1, 'b' -> '/a/1/b'; empty parts are left out.
export const join = (parts) => parts.filter((p) => p != null && p !== '').join('/')

export const endpoints = {
  signIn: '/auth/sign_in',
  signOut: '/auth/sign_out',
  password: '/auth/password',
  globalConfig: '/public/api/v1/global_config',
  profile: '/api/v1/profile',
  availability: '/api/v1/profile/availability',
  // Two-factor sign-in of the signed-in user: GET/POST/DELETE, then 'verify', 'backup_codes'.
  mfa: (action) => join(['/api/v1/profile/mfa', action]),
  installationConfigs: (name) => join(['/super_admin/api/v1/installation_configs', name != null ? encodeURIComponent(name) : null]),
  // The super-admin console (/app/super_admin): `superAdmin(name, id, action)` is
  // /super_admin/api/v1/<name>[/<id>[/<action>]] (accounts, users, platform_apps, agent_bots,
  // audit_logs, instance_status); account members are accounts/<id>/account_users[/<user>].
  superAdmin: (name, id, action) => join(['/super_admin/api/v1', name, id, action]),
  superAdminMembers: (accountId, userId) => join(['/super_admin/api/v1/accounts', accountId, 'account_users', userId]),
  // Added by the two-factor work (issue 12): a super admin clears a user's second factor.
  superAdminResetMfa: (userId) => join(['/super_admin/api/v1/users', userId, 'reset_mfa']),
  // The Client API base of an API inbox (shown on its settings page).
  publicInbox: (identifier) => '/public/api/v1/inboxes/' + identifier,
  // The help center's Markdown preview: POST {content} -> {html}, sanitised by the server.
  helpCenterPreview: '/hc/preview',
}

// Paths under /api/v1/accounts/<id>. `resource(name, id, action)` covers Chatwoot's plain
// collections (labels, teams, webhooks, inboxes, agents, macros, ...): <name>, <name>/<id>,
// <name>/<id>/<action>.
export function accountEndpoints(accountId) {
  const root = '/api/v1/accounts/' + accountId
  const at = (...parts) => join([root, ...parts])
  return {
    account: root,
    resource: (name, id, action) => at(name, id, action),
    conversations: (id, action) => at('conversations', id, action),
    conversationFilter: at('conversations', 'filter'),
    contacts: (...parts) => at('contacts', ...parts),
    contactMerge: at('actions', 'contact_merge'),
    customFilters: (id) => at('custom_filters', id),
    notifications: (id) => at('notifications', id),
    readAllNotifications: at('notifications', 'read_all'),
    attributeDefinitions: at('custom_attribute_definitions'),
    notificationSettings: at('notification_settings'),
    dashboardApps: (id) => at('dashboard_apps', id),
    integrationApps: (id) => at('integrations', 'apps', id),
    integrationHooks: (id) => at('integrations', 'hooks', id),
    // Read only: GET with page, auditable_type, action, user_id, since, until.
    auditLogs: at('audit_logs'),
    // Chatwoot's custom roles (Settings > Roles; chosen per agent under Agents).
    customRoles: (id) => at('custom_roles', id),
    // The help center, portals addressed by slug (Chatwoot's): portals(slug, 'categories', 5),
    // portals(slug, 'articles', 'reorder'), portals(slug, 'logo'), portals(slug, 'archive').
    portals: (slug, ...rest) => at('portals', slug != null ? encodeURIComponent(slug) : null, ...rest),
    // Captain (issue 14): captain('assistants', 3, 'inboxes', 9), captain('assistant_responses'),
    // captain('bulk_actions') (bulk approve / delete of FAQs, Chatwoot's path).
    captain: (...parts) => at('captain', ...parts),
    // Reports (issue 15), Chatwoot's v2 paths: v2('reports'), v2('reports', 'summary'),
    // v2('summary_reports', 'agent'), v2('reports', 'agents') (a CSV download).
    v2: (...parts) => join(['/api/v2/accounts', accountId, ...parts]),
  }
}
