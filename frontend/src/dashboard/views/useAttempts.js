// The sign-in and password pages' actions: useAction's busy flag and error, plus the wait a
// 429 imposes (Retry-After, or 30 s), counted down in `message`; nothing runs meanwhile.
//
//   const { busy, error, locked, message, attempt } = useAttempts()
//   attempt(() => signIn(...), explain)   // explain: the message of any other error
import { computed, onBeforeUnmount, ref } from 'vue'
import { useAction } from '../../shared/useAction.js'

export function useAttempts() {
  const { busy, error, run } = useAction({ exclusive: true })
  const wait = ref(0)
  let timer = null
  onBeforeUnmount(() => clearInterval(timer))

  const locked = computed(() => wait.value > 0)
  const message = computed(() => (locked.value ? 'Too many attempts, try again in ' + wait.value + ' s.' : error.value))

  function countdown(seconds) {
    clearInterval(timer)
    wait.value = seconds
    timer = setInterval(() => {
      wait.value = Math.max(0, wait.value - 1)
      if (!wait.value) clearInterval(timer)
    }, 1000)
  }

  function attempt(work, explain = (err) => err.message) {
    if (busy.value || locked.value) return Promise.resolve(false)
    return run(work, { explain: (err) => (err.status === 429 ? (countdown(err.retryAfter != null ? err.retryAfter : 30), '') : explain(err)) })
  }

  return { busy, error, locked, message, attempt }
}
