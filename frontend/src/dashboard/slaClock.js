// One clock for every SLA badge on screen: the current epoch second, updated every 30 s
// while any badge is mounted.
import { onBeforeUnmount, ref } from 'vue'

const now = ref(Date.now() / 1000)
let users = 0
let timer = null

export function minuteClock() {
  users += 1
  if (!timer) timer = setInterval(() => (now.value = Date.now() / 1000), 30000)
  now.value = Date.now() / 1000
  onBeforeUnmount(() => {
    users -= 1
    if (!users && timer) {
      clearInterval(timer)
      timer = null
    }
  })
  return now
}
