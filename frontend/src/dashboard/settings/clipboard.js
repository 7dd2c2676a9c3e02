// Copy a value for the person, as the inbox screens offer it: to the clipboard, or, with no
// clipboard permission (or outside a secure context), by selecting `el`'s text for Ctrl+C.
// Answers true when it copied.
export const COPY_BY_HAND = 'Could not copy automatically: press Ctrl+C (⌘C) to copy the selection.'

export async function copyOrSelect(text, el) {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch (e) {
    if (el) {
      const range = document.createRange()
      range.selectNodeContents(el)
      const sel = window.getSelection()
      sel.removeAllRanges()
      sel.addRange(range)
    }
    return false
  }
}
