// Who may open the Reports section: the ONE place the dashboard decides it (the server
// decides every request; this only hides what it would refuse). Administrators and custom
// roles granting report_manage (Chatwoot's), the same rule as the reports API. Kept apart
// from the screens: the navigation (AppShell) imports it, the screens are lazy chunks.
import { hasPermission } from '../session.js'

export const canOpenReports = (s) => hasPermission('report_manage', s)
