// The composables every settings screen is built from, on top of resource.js's collections:
//
//   const { col, state, accountId } = useCollection('labels', { sort: byName('title') })
//   const lists = useLists(accountId, 'agents', 'teams')   // lists.agents.value, …
//   const ed = useEditor(col, { blank, fromItem, bodyOf })  // the add / edit / delete forms
//   const rec = useRecord(path, fill)                      // one record's form (the account)
import { reactive, ref } from 'vue'
import { useRoute } from 'vue-router'
import { accountPath, createCollection, listOf } from './resource.js'
import { api } from '../session.js'
import { useAction } from '../../shared/useAction.js'

// The current route's account's collection `name`, loading.
export function useCollection(name, { sort = null } = {}) {
  const accountId = useRoute().params.accountId
  const col = createCollection({ api, path: accountPath(accountId, name), sort })
  col.load()
  return { col, state: col.state, accountId }
}

// Other lists a screen offers to choose from (agents, teams…): empty until they arrive, and
// empty if they fail (the screen still works, with fewer choices).
export function useLists(accountId, ...names) {
  const lists = {}
  for (const name of names) {
    lists[name] = ref([])
    api.get(accountPath(accountId, name)).then((res) => (lists[name].value = listOf(res))).catch(() => {})
  }
  return lists
}

// The add form (`draft`, create), the edit form of one item (`edit`, `editing` its id,
// startEdit / update / cancel) and the rows' delete of a collection.
//   blank()                     the values of an empty form
//   fromItem(item)              the form values of an item being edited
//   bodyOf(values, {creating})  -> { body, error }: a form with an error is not sent
//   explain                     as useAction's (explainMissing for a collection that may 404)
//   oneForm                     one form both adds and edits (`edit` is `draft`, one error)
//   created(item, body)         after an add (the add form is already blank again)
//   changed()                   after any add, change or delete (to refresh other copies)
// Row actions (remove, or a screen's own through rowRun) report into `rowError`, or into
// the ref they are given.
export function useEditor(col, { blank, fromItem = blank, bodyOf, explain, oneForm = false, created = () => {}, changed = () => {} }) {
  const { busy, error, run } = useAction({ exclusive: true, explain })
  const row = useAction()
  const draft = reactive(blank())
  const edit = oneForm ? draft : reactive(blank())
  const editError = oneForm ? error : ref('')
  const editing = ref(null)

  function startEdit(item) {
    editing.value = item.id
    Object.assign(edit, fromItem(item))
    editError.value = ''
  }
  function cancel() {
    editing.value = null
    editError.value = ''
    if (oneForm) Object.assign(draft, blank())
  }
  function checked(values, creating, into) {
    const { body, error: problem } = bodyOf(values, { creating })
    into.value = problem || ''
    return problem ? null : body
  }

  async function create() {
    const body = checked(draft, true, error)
    if (!body) return false
    return run(async () => {
      const item = await col.create(body)
      Object.assign(draft, blank())
      created(item, body)
      changed()
    })
  }
  // Saves the edit form as item `id` (the one being edited unless told).
  async function update(id = editing.value) {
    const body = checked(edit, false, editError)
    if (!body) return false
    return run(async () => {
      await col.update(id, body)
      if (editing.value === id) cancel()
      changed()
    }, { into: editError })
  }
  const save = () => (editing.value == null ? create() : update())

  function remove(item, into = row.error) {
    return row.run(async () => {
      await col.remove(item.id)
      if (editing.value === item.id) cancel()
      changed()
    }, { into })
  }

  return { busy, error, draft, edit, editing, editError, rowError: row.error, rowRun: row.run, startEdit, cancel, create, update, save, remove }
}

// One record behind a settings form (the account, my notification settings): loaded once
// into the form by fill(record), saved with PATCH and filled again from the answer.
// `state` is what SettingsPage shows while it loads or when it failed.
export function useRecord(path, fill) {
  const state = reactive({ loading: true, loaded: false, error: '' })
  const saved = ref(false)
  const { busy, error, run } = useAction({ exclusive: true })

  api.get(path)
    .then(fill, (err) => (state.error = err.message))
    .finally(() => Object.assign(state, { loading: false, loaded: true }))

  async function save(body) {
    saved.value = false
    return run(async () => {
      fill(await api.patch(path, body))
      saved.value = true
    })
  }
  return { state, saved, busy, error, save }
}
