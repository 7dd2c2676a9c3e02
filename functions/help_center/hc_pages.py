"""The public help center's HTML: one small server-rendered page per view, readable without
JavaScript. A few hundred bytes of inline CSS, the portal's colour and logo (a dark logo
under prefers-color-scheme: dark), and one tiny inline script (search as you type through
articles.json, the view beacon) whose hash the page's CSP names.

Every piece of text that comes from a portal, category or article is escaped here; article
bodies arrive sanitised (parley/views/article_html.py)."""
from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timezone
from html import escape
from urllib.parse import quote

COLOR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")
DEFAULT_COLOR = "#1f93ff"
LOCALE_NAMES = {
    "ar": "العربية", "ca": "Català", "cs": "Čeština", "da": "Dansk", "de": "Deutsch", "el": "Ελληνικά",
    "en": "English", "es": "Español", "fa": "فارسی", "fi": "Suomi", "fr": "Français", "he": "עברית",
    "hi": "हिन्दी", "hu": "Magyar", "id": "Bahasa Indonesia", "it": "Italiano", "ja": "日本語", "ko": "한국어",
    "nl": "Nederlands", "no": "Norsk", "pl": "Polski", "pt": "Português", "pt_BR": "Português (Brasil)",
    "ro": "Română", "ru": "Русский", "sv": "Svenska", "th": "ไทย", "tr": "Türkçe", "uk": "Українська",
    "vi": "Tiếng Việt", "zh": "中文", "zh_CN": "中文 (简体)", "zh_TW": "中文 (繁體)",
}
RTL = {"ar", "fa", "he", "ur", "ps", "yi"}

# The page's own words, in the languages most portals use (others read English).
UI = {
    "en": {"search": "Search", "placeholder": "Search for articles", "results_for": "Search results for “{q}”",
           "results": "{n} results", "result": "1 result", "no_results": "No articles match your search.",
           "no_articles": "No articles yet.", "articles": "Articles", "all": "All {n} articles",
           "sections": "Sections", "updated": "Updated {d}", "language": "Language",
           "not_found": "Page not found", "gone": "This page does not exist or is no longer published."},
    "fr": {"search": "Rechercher", "placeholder": "Rechercher un article", "results_for": "Résultats pour « {q} »",
           "results": "{n} résultats", "result": "1 résultat", "no_results": "Aucun article ne correspond à votre recherche.",
           "no_articles": "Pas encore d’articles.", "articles": "Articles", "all": "Les {n} articles",
           "sections": "Rubriques", "updated": "Mis à jour le {d}", "language": "Langue",
           "not_found": "Page introuvable", "gone": "Cette page n’existe pas ou n’est plus publiée."},
    "es": {"search": "Buscar", "placeholder": "Buscar artículos", "results_for": "Resultados para «{q}»",
           "results": "{n} resultados", "result": "1 resultado", "no_results": "Ningún artículo coincide con tu búsqueda.",
           "no_articles": "Todavía no hay artículos.", "articles": "Artículos", "all": "Los {n} artículos",
           "sections": "Secciones", "updated": "Actualizado el {d}", "language": "Idioma",
           "not_found": "Página no encontrada", "gone": "Esta página no existe o ya no está publicada."},
    "de": {"search": "Suchen", "placeholder": "Artikel durchsuchen", "results_for": "Suchergebnisse für „{q}“",
           "results": "{n} Ergebnisse", "result": "1 Ergebnis", "no_results": "Keine Artikel passen zu Ihrer Suche.",
           "no_articles": "Noch keine Artikel.", "articles": "Artikel", "all": "Alle {n} Artikel",
           "sections": "Bereiche", "updated": "Aktualisiert am {d}", "language": "Sprache",
           "not_found": "Seite nicht gefunden", "gone": "Diese Seite gibt es nicht oder sie ist nicht mehr veröffentlicht."},
    "pt": {"search": "Pesquisar", "placeholder": "Pesquisar artigos", "results_for": "Resultados para “{q}”",
           "results": "{n} resultados", "result": "1 resultado", "no_results": "Nenhum artigo corresponde à sua pesquisa.",
           "no_articles": "Ainda não há artigos.", "articles": "Artigos", "all": "Todos os {n} artigos",
           "sections": "Seções", "updated": "Atualizado em {d}", "language": "Idioma",
           "not_found": "Página não encontrada", "gone": "Esta página não existe ou não está mais publicada."},
}


def t(locale: str | None, key: str, **values) -> str:
    words = UI.get(str(locale or "en").replace("-", "_").split("_")[0]) or UI["en"]
    return words.get(key, UI["en"][key]).format(**values)


CSS = (":root{--c:COLOR}*{box-sizing:border-box}body{margin:0;font:16px/1.6 system-ui,sans-serif;color:#1f2937;"
       "background:#fff}@media(prefers-color-scheme:dark){body{color:#e5e7eb;background:#111827}"
       "a{color:#93c5fd}.card{border-color:#374151!important}}header{background:var(--c);color:#fff;padding:1rem}"
       "header a{color:#fff;text-decoration:none}.w{max-width:48rem;margin:0 auto;padding:0 1rem}"
       ".top{display:flex;align-items:center;gap:1rem;justify-content:space-between;flex-wrap:wrap}"
       ".top img{max-height:2rem;vertical-align:middle}h1{font-size:1.6rem;line-height:1.3}"
       "form{display:flex;gap:.5rem;margin:1rem 0;position:relative}input[type=search]{flex:1;padding:.6rem;"
       "font:inherit;border:1px solid #9ca3af;border-radius:.4rem}button{padding:.6rem 1rem;font:inherit;border:0;"
       "border-radius:.4rem;background:var(--c);color:#fff}#s{position:absolute;top:100%;left:0;right:0;margin:0;"
       "padding:0;list-style:none;background:#fff;color:#111;box-shadow:0 4px 12px #0003;z-index:1}"
       "#s a{display:block;padding:.5rem;color:#111}.card{border:1px solid #e5e7eb;border-radius:.5rem;"
       "padding:1rem;margin:1rem 0}nav.l a{margin-right:.6rem}article img{max-width:100%}pre{overflow:auto}"
       "table{border-collapse:collapse}td,th{border:1px solid #9ca3af;padding:.3rem}footer{margin:2rem 0;"
       "font-size:.85rem;opacity:.8}.m{opacity:.75}")

# Search as you type (articles.json) and the view beacon. The form and links work without it.
SCRIPT = ("(function(){var f=document.getElementById('q'),b=document.body.dataset;"
          "if(b.views&&navigator.sendBeacon)navigator.sendBeacon(b.views);if(!f)return;"
          "var i=f.querySelector('input'),u=document.createElement('ul'),t;u.id='s';f.appendChild(u);"
          "i.addEventListener('input',function(){clearTimeout(t);t=setTimeout(function(){var q=i.value.trim();"
          "if(!q){u.textContent='';return}fetch(b.json+'?limit=6&query='+encodeURIComponent(q))"
          ".then(function(r){return r.json()}).then(function(d){u.textContent='';d.payload.forEach(function(a){"
          "var l=document.createElement('li'),k=document.createElement('a');k.href=a.link;k.textContent=a.title;"
          "l.appendChild(k);u.appendChild(l)})}).catch(function(){})},150)})})();")
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()


def csp(img_origins: str = "") -> str:
    return ("default-src 'none'; img-src 'self' https: data:" + (f" {img_origins}" if img_origins else "") +
            f"; style-src 'unsafe-inline'; script-src '{SCRIPT_HASH}'; connect-src 'self'; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'")


def e(value) -> str:
    return escape(str(value if value is not None else ""), quote=True)


def locale_name(code: str) -> str:
    return LOCALE_NAMES.get(code) or LOCALE_NAMES.get(code.split("_")[0].split("-")[0]) or code


def iso(epoch) -> str:
    try:
        return datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


class Links:
    """Paths and absolute URLs of one portal's pages (`base` = scheme://host)."""

    def __init__(self, base: str, slug: str):
        self.base, self.slug = base, slug
        self.root = f"/hc/{quote(slug)}"

    def home(self, locale: str | None = None) -> str:
        return f"{self.root}/{quote(locale)}" if locale else self.root

    def category(self, locale: str, slug: str) -> str:
        return f"{self.root}/{quote(locale)}/categories/{quote(slug)}"

    def article(self, slug: str) -> str:
        return f"{self.root}/articles/{quote(slug)}"

    def search(self, locale: str, query: str | None = None) -> str:
        return f"{self.root}/{quote(locale)}/articles" + (f"?query={quote(query)}" if query else "")

    def absolute(self, path: str) -> str:
        return self.base + path


def texts(portal: dict, locale: str) -> tuple[str, str]:
    """The page title and header text in `locale` (portal translations), else the portal's."""
    translated = (portal.get("translations") or {}).get(locale) or {}
    title = translated.get("page_title") or portal.get("page_title") or portal.get("name") or ""
    header = translated.get("header_text") or portal.get("header_text") or ""
    return str(title), str(header)


def page(*, site, links: Links, locale: str, title: str, description: str, canonical: str, body: str,
         alternates: list[tuple[str, str]] = (), switch: list[tuple[str, str]] = (), og_type: str = "website",
         views_url: str | None = None, noindex: bool = False) -> str:
    portal = site.portal
    color = portal.get("color") if COLOR.match(str(portal.get("color") or "")) else DEFAULT_COLOR
    site_title, _ = texts(portal, locale)
    full_title = f"{title} | {site_title}" if title and title != site_title else site_title
    lang = locale.replace("_", "-")
    head = [
        '<!doctype html>', f'<html lang="{e(lang)}"{" dir=rtl" if locale.split("_")[0] in RTL else ""}>',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">',
        # no /favicon.ico request (Parley's origin has none to give)
        f'<title>{e(full_title)}</title><link rel="icon" href="{e(icon(portal, links))}">',
        f'<meta name="description" content="{e(description)}">',
        f'<link rel="canonical" href="{e(links.absolute(canonical))}">',
    ]
    if noindex:
        head.append('<meta name="robots" content="noindex">')
    for code, path in alternates:
        head.append(f'<link rel="alternate" hreflang="{e(code.replace("_", "-"))}" href="{e(links.absolute(path))}">')
    if alternates:
        default = next((p for c, p in alternates if c == site.default_locale), alternates[0][1])
        head.append(f'<link rel="alternate" hreflang="x-default" href="{e(links.absolute(default))}">')
    head += [
        f'<meta property="og:type" content="{og_type}">', f'<meta property="og:title" content="{e(title or site_title)}">',
        f'<meta property="og:description" content="{e(description)}">',
        f'<meta property="og:url" content="{e(links.absolute(canonical))}">',
        f'<meta property="og:site_name" content="{e(portal.get("name"))}">',
        f'<meta property="og:locale" content="{e(locale)}">',
    ]
    logo = portal.get("logo")
    if logo and logo.get("id"):
        head.append(f'<meta property="og:image" content="{e(links.absolute(logo_path(links, logo)))}">')
    head.append(f'<style>{CSS.replace("COLOR", color, 1)}</style></head>')
    data = f' data-json="{e(links.search(locale))}.json"' + (f' data-views="{e(views_url)}"' if views_url else "")
    header = [f'<body{data}><header><div class="w top"><a href="{e(links.home(locale))}">{brand(portal, links)}</a>']
    if portal.get("homepage_link") and str(portal["homepage_link"]).startswith(("https://", "http://")):
        header.append(f'<a href="{e(portal["homepage_link"])}" rel="noopener">{e(_host(portal["homepage_link"]))}</a>')
    header.append('</div></header><main class="w">')
    foot = ['</main><footer class="w">']
    if len(switch) > 1:
        foot.append(f'<nav class="l" aria-label="{e(t(locale, "language"))}">' + "".join(
            f'<a href="{e(path)}" hreflang="{e(code.replace("_", "-"))}" lang="{e(code.replace("_", "-"))}"'
            f'{" aria-current=page" if code == locale else ""}>{e(locale_name(code))}</a>' for code, path in switch)
            + '</nav>')
    foot.append(f'<p class="m">{e(portal.get("name"))}</p></footer>')
    if views_url:
        foot.append(f'<noscript><img src="{e(views_url)}.gif" alt="" width="1" height="1"></noscript>')
    foot.append(f'<script>{SCRIPT}</script></body></html>')
    return "".join(head + header) + body + "".join(foot)


def _host(url: str) -> str:
    return re.sub(r"^https?://", "", url).split("/")[0]


def logo_path(links: Links, record: dict, dark: bool = False) -> str:
    return f"{links.root}/{'dark_logo' if dark else 'logo'}/{int(record['id'])}"


def icon(portal: dict, links: Links) -> str:
    logo = portal.get("logo")
    return logo_path(links, logo) if logo and logo.get("id") else "data:,"


def brand(portal: dict, links: Links) -> str:
    logo, dark = portal.get("logo"), portal.get("dark_logo")
    name = e(portal.get("name"))
    if not (logo and logo.get("id")):
        return f"<strong>{name}</strong>"
    img = f'<img src="{e(logo_path(links, logo))}" alt="{name}" height="32">'
    if dark and dark.get("id"):
        return (f'<picture><source media="(prefers-color-scheme: dark)" srcset="{e(logo_path(links, dark, True))}">'
                f'{img}</picture>')
    return img


def search_form(links: Links, locale: str, query: str = "") -> str:
    placeholder = t(locale, "placeholder")
    return (f'<form id="q" role="search" action="{e(links.search(locale))}" method="get">'
            f'<input type="search" name="query" value="{e(query)}" maxlength="200" aria-label="{e(placeholder)}" '
            f'placeholder="{e(placeholder)}" autocomplete="off"><button>{e(t(locale, "search"))}</button></form>')


def article_list(links: Links, articles: list[dict], locale: str | None = None) -> str:
    if not articles:
        return f'<p class="m">{e(t(locale, "no_articles"))}</p>'
    return "<ul>" + "".join(
        f'<li><a href="{e(links.article(str(a.get("slug"))))}">{e(a.get("title"))}</a>'
        + (f'<br><span class="m">{e(a.get("description"))}</span>' if a.get("description") else "") + "</li>"
        for a in articles) + "</ul>"


def home_body(site, links: Links, locale: str) -> str:
    _, header = texts(site.portal, locale)
    parts = [f'<h1>{e(header or texts(site.portal, locale)[0])}</h1>', search_form(links, locale)]
    categories = [c for c in site.categories if c.get("locale") == locale and not c.get("parent_category_id")]
    for c in categories:
        articles = site.articles_of(locale, c["id"])
        parts.append(f'<section class="card"><h2><a href="{e(links.category(locale, str(c.get("slug"))))}">'
                     f'{e(c.get("name"))}</a></h2>'
                     + (f'<p class="m">{e(c.get("description"))}</p>' if c.get("description") else "")
                     + article_list(links, articles[:6], locale)
                     + (f'<p><a href="{e(links.category(locale, str(c.get("slug"))))}">All {e(t(locale, "all", n=len(articles)))}</a></p>'
                        if len(articles) > 6 else "") + "</section>")
    loose = [a for a in site.articles_of(locale) if not a.get("category_id") or a["category_id"] not in site.category_by_id]
    if loose or not categories:
        parts.append(f'<section class="card"><h2>{e(t(locale, "articles"))}</h2>{article_list(links, loose, locale)}</section>')
    return "".join(parts)


def category_body(site, links: Links, locale: str, category: dict) -> str:
    crumbs = f'<p class="m"><a href="{e(links.home(locale))}">{e(texts(site.portal, locale)[0])}</a> › {e(category.get("name"))}</p>'
    subs = [c for c in site.categories if c.get("parent_category_id") == category["id"]]
    sub_html = (f"<h2>{e(t(locale, 'sections'))}</h2><ul>" + "".join(
        f'<li><a href="{e(links.category(locale, str(c.get("slug"))))}">{e(c.get("name"))}</a></li>' for c in subs)
        + "</ul>") if subs else ""
    return (crumbs + f'<h1>{e(category.get("name"))}</h1>'
            + (f'<p>{e(category.get("description"))}</p>' if category.get("description") else "")
            + search_form(links, locale) + sub_html + article_list(links, site.articles_of(locale, category["id"]), locale))


def article_body(site, links: Links, article: dict, html: str) -> str:
    locale = str(article.get("locale") or site.default_locale)
    crumbs = [f'<a href="{e(links.home(locale))}">{e(texts(site.portal, locale)[0])}</a>']
    category = site.category_by_id.get(article.get("category_id"))
    if category:
        crumbs.append(f'<a href="{e(links.category(locale, str(category.get("slug"))))}">{e(category.get("name"))}</a>')
    updated = iso(article.get("updated_at"))
    return (f'<p class="m">{" › ".join(crumbs)}</p>' + search_form(links, locale)
            + f'<article><h1>{e(article.get("title"))}</h1>'
            + (f'<p class="m">{e(article.get("description"))}</p>' if article.get("description") else "")
            + (f'<p class="m"><time datetime="{updated}">{e(t(locale, "updated", d=updated[:10]))}</time></p>' if updated else "")
            + f'<div>{html}</div></article>')


def search_body(site, links: Links, locale: str, query: str, hits: list[dict]) -> str:
    parts = [f'<p class="m"><a href="{e(links.home(locale))}">{e(texts(site.portal, locale)[0])}</a></p>',
             f'<h1>{e(t(locale, "results_for", q=query)) if query else e(t(locale, "search"))}</h1>',
             search_form(links, locale, query)]
    if query:
        parts.append(f'<p class="m">{e(t(locale, "result") if len(hits) == 1 else t(locale, "results", n=len(hits)))}</p>'
                     if hits else f'<p>{e(t(locale, "no_results"))}</p>')
        parts.append(article_list(links, hits, locale) if hits else "")
    return "".join(parts)


def not_found_page(site=None, links: Links | None = None, locale: str | None = None, message: str | None = None,
                   status_text: str | None = None) -> str:
    message = message or t(locale or (site.default_locale if site else None), "not_found")
    status_text = t(locale or (site.default_locale if site else None), "gone") if status_text is None else status_text
    if site is None or links is None:
        return ("<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport "
                "content=\"width=device-width,initial-scale=1\"><meta name=robots content=noindex><link rel=icon href=\"data:,\">"
                f"<title>{e(message)}</title><style>body{{font:16px/1.6 system-ui,sans-serif;max-width:40rem;"
                f"margin:4rem auto;padding:0 1rem}}</style></head><body><h1>{e(message)}</h1><p>{e(status_text)}</p>"
                "</body></html>")
    locale = locale or site.default_locale
    body = (f'<h1>{e(message)}</h1><p>{e(status_text)}</p>{search_form(links, locale)}'
            f'<p><a href="{e(links.home(locale))}">{e(texts(site.portal, locale)[0])}</a></p>')
    return page(site=site, links=links, locale=locale, title=message, description=status_text,
                canonical=links.home(locale), body=body, noindex=True)


def sitemap(site, links: Links) -> str:
    urls = []
    for code in site.locales:
        urls.append((links.home(code), None))
        for c in site.categories:
            if c.get("locale") == code:
                urls.append((links.category(code, str(c.get("slug"))), None))
    for a in site.articles:
        urls.append((links.article(str(a.get("slug"))), a.get("updated_at")))
    rows = "".join(f"<url><loc>{e(links.absolute(path))}</loc>"
                   + (f"<lastmod>{iso(updated)}</lastmod>" if updated else "") + "</url>" for path, updated in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>\n')


def robots(links: Links | None, sitemap_paths: list[str] = ()) -> str:
    lines = ["User-agent: *"]
    if links is None:
        lines += ["Allow: /hc/", "Disallow: /app", "Disallow: /api/", "Disallow: /widget"]
    else:
        lines += [f"Allow: {links.root}/", f"Disallow: {links.root}/articles/*/views"]
    lines += [f"Sitemap: {(links.base if links else '') + p}" for p in sitemap_paths]
    return "\n".join(lines) + "\n"
