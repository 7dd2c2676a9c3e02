// A modal dialog's keyboard and focus: Escape calls close(), first() (the element to focus)
// gets the focus once it is shown, and the element that had the focus before gets it back
// when the dialog goes away.
import { nextTick, onBeforeUnmount } from 'vue'

export function useDialog(close, first) {
  const before = typeof document !== 'undefined' ? document.activeElement : null

  function onKey(e) {
    if (e.key === 'Escape') {
      e.preventDefault()
      close()
    }
  }
  document.addEventListener('keydown', onKey)
  nextTick(() => {
    const el = first()
    if (el) el.focus()
  })
  onBeforeUnmount(() => {
    document.removeEventListener('keydown', onKey)
    if (before && before.focus && document.contains(before)) before.focus()
  })
}
