"""The page under a fast run, in Chromium through Playwright: long tasks, and the time from
an event's arrival to its text on screen.

The app's CSP allows no inline script, so the probes come in through Playwright's init
script, which the browser runs before the page's own scripts:

- a `longtask` PerformanceObserver counts tasks over 50 ms;
- `EventSource.prototype.addEventListener` is wrapped so every `c<N>-output`,
  `c<N>-blocks` and `c<N>-reasoning` event notes its `timeStamp` (when the browser made
  the event from the bytes it read) before htmx's listener swaps its text in;
- a MutationObserver sees the text land in the page and, in the next animation frame
  (the frame that paints it), records arrival-to-screen for each event noted.
"""

from pathlib import Path

from .figures import BenchError, Plan, say
from .stats import percentile
from .workload import MODEL

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KEYS = ("browser_long_tasks", "browser_event_to_screen_p95_ms")

PROBES = r"""
(() => {
  const bench = { recording: false, longTasks: 0, delays: [], pending: [], events: 0 };
  bench.start = () => { bench.recording = true; };
  bench.stop = () => {
    bench.recording = false;
    return { longTasks: bench.longTasks, delays: bench.delays, events: bench.events };
  };
  window.__bench = bench;

  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (bench.recording && entry.duration > 50) bench.longTasks += 1;
    }
  }).observe({ type: "longtask" });

  const timed = new WeakMap();
  const add = EventSource.prototype.addEventListener;
  const remove = EventSource.prototype.removeEventListener;
  EventSource.prototype.addEventListener = function (type, listener, options) {
    if (typeof listener !== "function" || !/-(output|blocks|reasoning)$/.test(type)) {
      return add.call(this, type, listener, options);
    }
    const wrapper = function (event) {
      if (bench.recording) {
        bench.events += 1;
        bench.pending.push(event.timeStamp);
      }
      return listener.apply(this, arguments);
    };
    timed.set(listener, wrapper);
    return add.call(this, type, wrapper, options);
  };
  EventSource.prototype.removeEventListener = function (type, listener, options) {
    return remove.call(this, type, timed.get(listener) || listener, options);
  };

  new MutationObserver(() => {
    if (!bench.pending.length) return;
    const arrivals = bench.pending.splice(0);
    requestAnimationFrame(() => {
      const shown = performance.now();
      for (const arrived of arrivals) bench.delays.push(shown - arrived);
    });
  }).observe(document, { childList: true, subtree: true, characterData: true });
})();
"""


async def browser_figures(url: str, cookies: dict[str, str], plan: Plan) -> dict[str, float | None]:
    if not Path(CHROMIUM).exists():  # noqa: ASYNC240 (once, before anything is timed)
        say(f"  Chromium is not installed at {CHROMIUM}: not measured")
        return dict.fromkeys(KEYS)
    from playwright.async_api import async_playwright

    columns = plan.browser_columns
    schedule = plan.browser_schedule
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                base_url=url, viewport={"width": 1600, "height": 1000}
            )
            await context.add_cookies(
                [{"name": name, "value": value, "url": url} for name, value in cookies.items()]
            )
            await context.add_init_script(PROBES)
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto("/?models=" + ",".join([MODEL] * columns))
            await page.fill("[data-testid=prompt]", schedule.prompt)
            await page.evaluate("window.__bench.start()")
            await page.click("[data-testid=run]")
            await page.wait_for_selector(
                '[data-testid=run-status][data-status="done"]',
                timeout=(schedule.seconds + 60) * 1000,
            )
            result = await page.evaluate("window.__bench.stop()")
            done = await page.locator('[data-testid=result][data-status="done"]').count()
        finally:
            await browser.close()
    if errors:
        raise BenchError(f"JavaScript errors on the compare page: {errors}")
    if done != columns or not result["delays"]:
        raise BenchError(f"the browser's run ended with {done} of {columns} columns done")
    p95 = round(percentile(result["delays"], 95), 2)
    say(
        f"  {columns} columns at {round(1 / schedule.gap)} tokens/s each: {result['events']} "
        f"events swapped in, {result['longTasks']} long tasks, arrival to screen p95 {p95} ms"
    )
    return {"browser_long_tasks": result["longTasks"], "browser_event_to_screen_p95_ms": p95}
