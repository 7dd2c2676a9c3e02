"""GET /widget: the widget page, served by the API so it can carry the inbox's
frame-ancestors (CloudFront caches it per website_token, see template.yaml)."""
from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from parley.services.inbox import widget_page

router = Router()
# CloudFront keeps a page a minute (an allowed_domains change is live within that);
# browsers ask again every time.
CACHE_CONTROL = "public, max-age=0, s-maxage=60"


@router.get("/widget")
def show():
    page = widget_page.render(router.current_event.get_query_string_value("website_token"))
    return Response(page.status, "text/html; charset=utf-8", page.html,
                    headers={"Content-Security-Policy": page.policy, "Cache-Control": CACHE_CONTROL})
