// Which help center portal the widget shows, and in which of its locales. The only help
// center code in the widget's main chunk: the rest (help.js) loads when there is a portal.
// The portal comes from the widget config: `website_channel_config.portal`, null when the
// inbox is linked to none.

const SLUG_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/
const LOCALE_RE = /^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$/

// The portal the config names, or null when it names none or names it badly.
export function portalOf(config) {
  const p = config && config.portal
  if (!p || typeof p !== 'object' || typeof p.slug !== 'string' || !SLUG_RE.test(p.slug)) return null
  const allowed = (Array.isArray(p.allowed_locales) ? p.allowed_locales : []).filter((l) => typeof l === 'string' && LOCALE_RE.test(l))
  const fallback = typeof p.default_locale === 'string' && LOCALE_RE.test(p.default_locale) ? p.default_locale : ''
  return {
    slug: p.slug,
    name: typeof p.name === 'string' ? p.name : '',
    color: typeof p.color === 'string' ? p.color : '',
    default_locale: fallback || allowed[0] || 'en',
    allowed_locales: allowed,
  }
}

const norm = (l) => String(l || '').toLowerCase().replace(/-/g, '_')
const language = (l) => norm(l).split('_')[0]

// The portal's locale for a widget shown in `widgetLocale`: the same locale (pt-BR = pt_BR),
// else the same language (fr_CA -> fr, or fr -> fr_FR when the portal has one variant of
// it), else the portal's default. Always one of the portal's codes, spelled as it spells it.
export function chooseLocale(widgetLocale, portal) {
  const allowed = portal.allowed_locales.length ? portal.allowed_locales : [portal.default_locale]
  const want = norm(widgetLocale)
  if (want) {
    const same = allowed.find((l) => norm(l) === want)
    if (same) return same
    const lang = language(want)
    const base = allowed.find((l) => norm(l) === lang)
    if (base) return base
    const variants = allowed.filter((l) => language(l) === lang)
    if (variants.length) return variants.includes(portal.default_locale) ? portal.default_locale : variants[0]
  }
  return portal.default_locale
}
