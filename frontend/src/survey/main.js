// The CSAT survey page (/survey/responses/{conversation_uuid}): the link e-mail, SMS,
// WhatsApp and Telegram conversations get when they are resolved (docs/csat.md). Small on
// purpose: Vue, this file, App.vue and Rating.vue; plain fetch, no router, no store.
import { createApp } from 'vue'
import App from './App.vue'
import './survey.css'

const match = location.pathname.match(/^\/survey\/responses\/([0-9a-fA-F-]{36})\/?$/)
createApp(App, { uuid: match ? match[1] : '' }).mount('#app')
