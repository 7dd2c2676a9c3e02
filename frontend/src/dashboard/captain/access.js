// Who may do what in the Captain section: the ONE place the dashboard decides it (the server
// decides every request; this only hides what it would refuse). Assistants (their settings,
// guidelines, guardrails, inbox links) and the model provider settings (and usage) are for
// administrators. FAQs and documents are knowledge, and the playground tests it: also for
// custom roles granting knowledge_base_manage, as the help center's content is.
import { hasPermission, isAdministrator } from '../session.js'

export const canManageAssistants = () => isAdministrator()
export const canManageProvider = () => isAdministrator()
export const canManageFaqs = (s) => hasPermission('knowledge_base_manage', s)
export const canManageDocuments = (s) => canManageFaqs(s)
export const canUsePlayground = (s) => canManageFaqs(s)
// The section itself (its nav entry and route): whoever may see one of its screens.
export const canOpenCaptain = (s) => canManageFaqs(s)
