// Reordering a list by drag and drop (HTML5) or by a row's up/down buttons:
//   const r = useReorder(() => state.items, (items) => (state.items = items), save, { error })
//   r.move(from, to)          moves a row, saves (save(newOrder) -> the reorder request) and
//                             puts the rows back if the server refuses (its message in `error`)
//   v-bind="r.dragAttrs(item)" on a row; r.busy while saving
import { ref } from 'vue'
import { useAction } from '../../shared/useAction.js'
import { moveItem, positionsHash } from './model.js'

export function useReorder(get, set, save, { error } = {}) {
  const { busy, run } = useAction({ exclusive: true })
  const dragging = ref(null)

  async function move(from, to) {
    const before = get()
    const next = moveItem(before, from, to)
    if (next.every((item, i) => item === before[i])) return false
    const hash = positionsHash(next)
    set(next)
    const ok = await run(() => save(next), error ? { into: error } : {})
    set(ok ? next.map((item) => (String(item.id) in hash ? { ...item, position: hash[item.id] } : item)) : before)
    return ok
  }

  const dragAttrs = (item, enabled = true) => (enabled
    ? {
        draggable: 'true',
        class: { 'hc-dragging': dragging.value != null && get()[dragging.value] === item },
        onDragstart: (e) => {
          dragging.value = get().indexOf(item)
          if (e.dataTransfer) {
            e.dataTransfer.effectAllowed = 'move'
            e.dataTransfer.setData('text/plain', String(item.id))
          }
        },
        onDragover: (e) => e.preventDefault(),
        onDrop: (e) => {
          e.preventDefault()
          if (dragging.value != null) move(dragging.value, get().indexOf(item))
          dragging.value = null
        },
        onDragend: () => (dragging.value = null),
      }
    : { draggable: 'false' })

  return { busy, move, dragAttrs }
}
