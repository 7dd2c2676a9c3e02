// Who may open the Campaigns section: administrators, as the campaigns API decides (it
// answers 403 to anyone else). The navigation (AppShell) imports this; the screens are lazy.
import { isAdministrator } from '../session.js'

export const canOpenCampaigns = () => isAdministrator()
