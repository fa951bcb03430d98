"""Page actions: what a browser variant does to a page before its text is read.

A declaration lists them in order (``actions:``): ``click: SELECTOR`` (a consent banner, a "show
more" button; ``optional: true`` when the element may be absent, as a banner shown once is),
``wait_for: SELECTOR``, ``scroll: bottom`` (for text loaded as the reader scrolls). They run as one
scrapy-playwright page method, after the page loads and before its content is taken, so the text is
the page as the reader saw it after them. An action that fails does not stop the others nor the
capture: it is returned, and recorded in the capture's detail, so a banner redesigned overnight is
seen the next morning rather than guessed from a shorter text.
"""

from __future__ import annotations

from crawler.declarations.catalog import Action

# Seconds each action waits for its element, unless the Scrapy setting POLICYARCHIVE_ACTION_TIMEOUT says otherwise.
DEFAULT_TIMEOUT = 10.0


async def _run(page, action: Action, timeout_ms: float) -> None:
    if action.kind == "click":
        await page.click(action.target, timeout=timeout_ms)
    elif action.kind == "wait_for":
        await page.wait_for_selector(action.target, timeout=timeout_ms)
    else:
        await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        await page.wait_for_load_state("networkidle", timeout=timeout_ms)


async def run_actions(page, actions: tuple[Action, ...], timeout: float = DEFAULT_TIMEOUT) -> list[str]:
    """Run ``actions`` in order on ``page``; the failures, each naming its action. An optional click
    whose element is absent is no failure."""
    from playwright.async_api import Error as PlaywrightError

    failures = []
    for number, action in enumerate(actions, 1):
        try:
            await _run(page, action, timeout * 1000)
        except PlaywrightError as exc:
            if action.optional:
                continue
            failures.append(f"action {number} ({action}) failed: {str(exc).splitlines()[0]}")
    return failures
