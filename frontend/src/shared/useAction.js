// useAction(): the busy flag and error message of a component's async actions, instead of
// writing `busy = true; try { ... } catch { error = ... } finally { busy = false }` each time.
//
//   const { busy, error, run } = useAction()
//   run(() => store.save(x))            // true when it worked, false when it threw
//
// run(work, { exclusive, into, explain }):
//   exclusive  skip (answer false) while another action of this component is running
//   into       the ref that gets the message (default: `error`); cleared when the action starts
//   explain    err -> the message to show (default: err.message); may act on the error too
// The same options given to useAction() are the defaults of every run().
import { ref } from 'vue'

const messageOf = (err) => (err && err.message) || ''

export function useAction(defaults = {}) {
  const busy = ref(false)
  const error = ref('')

  async function run(work, options = {}) {
    const { exclusive = false, into = error, explain = messageOf } = { ...defaults, ...options }
    if (exclusive && busy.value) return false
    busy.value = true
    if (into) into.value = ''
    try {
      await work()
      return true
    } catch (err) {
      const message = explain(err)
      if (into) into.value = message
      return false
    } finally {
      busy.value = false
    }
  }

  return { busy, error, run }
}
