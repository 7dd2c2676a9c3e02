import { createApp } from 'vue'
import App from './App.vue'
import { createAppRouter } from './router.js'
import { api, loadSession, publicApi, session, setUser, whenSignedOut } from './session.js'
import { stopInbox } from './current.js'
import './dashboard.css'
import { endpoints } from '../shared/endpoints.js'

async function boot() {
  // window.globalConfig: the installation's public settings (brand, logo, WEBSOCKET_URL...).
  try {
    window.globalConfig = (await publicApi.get(endpoints.globalConfig)) || {}
  } catch (e) {
    window.globalConfig = {}
  }
  document.title = window.globalConfig.INSTALLATION_NAME || window.globalConfig.BRAND_NAME || 'Parley'
  loadSession()
  const router = createAppRouter()
  whenSignedOut(() => {
    stopInbox()
    router.replace({ name: 'login' })
  })
  if (session.token) {
    // Refresh the profile (accounts, role, availability) without blocking the first paint.
    api
      .get(endpoints.profile)
      .then((user) => user && setUser({ ...user, access_token: user.access_token || session.token }))
      .catch(() => {})
  }
  createApp(App).use(router).mount('#app')
}

boot()
