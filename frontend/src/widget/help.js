// The help center's chunk: App imports it (dynamically) once the config names a portal.
export { createHelpCenter, portalOf } from './helpCenter.js'
export { default as HelpCenter } from './components/HelpCenter.vue'
