// What both campaign screens share: the account's campaigns of one kind (one GET of the
// collection, filtered), the inboxes and agents to choose from, and one form that adds or
// edits (`editing`: null, 'new' or a campaign's id) with its errors by field.
import { computed, reactive, ref } from 'vue'
import { api } from '../session.js'
import { accountPath, listOf } from '../settings/resource.js'
import { useCollection, useLists } from '../settings/useCollection.js'
import { fieldErrors, inboxesFor } from './model.js'

export function useCampaigns(kind, { blank, valuesOf }) {
  const { col, state, accountId } = useCollection('campaigns', { sort: (a, b) => a.id - b.id })
  const lists = useLists(accountId, 'agents', 'labels')
  // The inboxes, and whether they have arrived: "add an inbox first" only once we know.
  const allInboxes = ref([])
  const inboxesLoaded = ref(false)
  api.get(accountPath(accountId, 'inboxes'))
    .then((res) => (allInboxes.value = listOf(res)), () => {})
    .finally(() => (inboxesLoaded.value = true))
  const items = computed(() => state.items.filter((c) => c.campaign_type === kind))
  const inboxes = computed(() => inboxesFor(kind, allInboxes.value))
  const form = reactive(blank())
  const errors = ref({})
  const editing = ref(null)
  const busy = ref(false)
  const rowError = ref('')

  function open(campaign = null) {
    Object.assign(form, campaign ? valuesOf(campaign) : blank())
    errors.value = {}
    editing.value = campaign ? campaign.id : 'new'
  }
  function close() {
    editing.value = null
    errors.value = {}
  }
  const current = computed(() => (typeof editing.value === 'number' ? state.items.find((c) => c.id === editing.value) || null : null))

  // built: { body } or { error } (model.js); sends it and closes the form, or shows the errors.
  async function save(built) {
    if (built.error) {
      errors.value = built.error
      return false
    }
    if (busy.value) return false
    busy.value = true
    errors.value = {}
    try {
      if (editing.value === 'new') await col.create(built.body)
      else await col.update(editing.value, built.body)
      close()
      return true
    } catch (err) {
      errors.value = fieldErrors(err)
      return false
    } finally {
      busy.value = false
    }
  }

  async function rowRun(work) {
    rowError.value = ''
    try {
      await work()
    } catch (err) {
      rowError.value = err.message
    }
  }
  const setEnabled = (c, enabled) => rowRun(() => col.update(c.id, { enabled }))
  const remove = (c) => rowRun(async () => {
    await col.remove(c.id)
    if (editing.value === c.id) close()
  })

  return { col, state, accountId, lists, items, inboxes, inboxesLoaded, form, errors, editing, current, busy, rowError, open, close, save, setEnabled, remove }
}
