// Who may do what in the help center: the ONE place the dashboard decides it (the server
// decides every request, permissions.require_knowledge_base; this only hides what it would
// refuse). Every member of the account reads every portal, category and article. Writing a
// portal's content (categories, articles, translations) and its settings, logos and archive
// is for whoever may manage the help center (administrators, custom roles granting
// knowledge_base_manage) and for the portal's members (its `member_ids`). Creating a
// portal, deleting one and choosing its members is for those who may manage it only.
import { hasPermission, session } from '../session.js'

export const canManage = (s = session) => hasPermission('knowledge_base_manage', s)

export function isPortalMember(portal, s = session) {
  const id = s.user && s.user.id
  if (!portal || id == null) return false
  const ids = portal.member_ids || (portal.members || []).map((m) => m.id)
  return ids.some((m) => Number(m) === Number(id))
}

export const canWrite = (portal, s = session) => canManage(s) || isPortalMember(portal, s)
