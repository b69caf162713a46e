"""`manage.py screenshots`: the README's pictures, made again from the demo.

It starts the app under uvicorn on a free port with a database of its own (a temporary
SQLite file, so the project's database is not touched) and the demo's simulated models,
signs in as a person made for the occasion, and photographs in Chromium at 1440 x 900:

- the compare page while four columns stream;
- the finished run, with its badges;
- a column's inspector.

Each picture is written to docs/images/ and must stay under MAX_BYTES.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from playground.bench.browser import CHROMIUM, CHROMIUM_ARGS
from playground.bench.servers import Processes, free_port

MAX_BYTES = 200_000
JPEG_QUALITY = 70
WINDOW = {"width": 1440, "height": 900}
MODELS = ("demo/markdown", "demo/swift", "demo/reasoner", "demo/slow")
PROMPT = "Compare three ways to cache an API response, with a table and an example."
USER, PASSWORD = "demo", "demo-screenshots-1"


class Command(BaseCommand):
    help = "Makes the README's screenshots from the demo (docs/images/*.jpg)."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "docs" / "images"))

    def handle(self, *args, out: str, **options):
        out_dir = Path(out)
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as scratch:
            env = {
                **os.environ,
                "DATABASE_URL": f"sqlite:///{Path(scratch) / 'screenshots.sqlite3'}",
                "OPENROUTER_API_KEY": "",
                # demo/slow takes about 40 s at the demo's own pace.
                "PLAYGROUND_DEMO_TIME_SCALE": "0.4",
                "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
            }
            manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
            for step in (
                ["migrate", "--noinput", "-v", "0"],
                ["collectstatic", "--noinput", "-v", "0"],
                ["createsuperuser", "--noinput", "--username", USER, "--email", ""],
            ):
                subprocess.run([*manage, *step], env=env, check=True, cwd=settings.BASE_DIR)
            processes = Processes(Path(scratch))
            port = free_port()
            try:
                app = processes.start(
                    "app",
                    [sys.executable, "-m", "uvicorn", "playground.asgi:application",
                     "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
                    env,
                )  # fmt: skip
                processes.wait_for_port("app", app, port)
                written = _photograph(f"http://127.0.0.1:{port}", out_dir)
            finally:
                processes.stop_all()
        for path in written:
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise CommandError(f"{path} is {size:,} bytes, over {MAX_BYTES:,}.")
            self.stdout.write(f"{path} ({size:,} bytes)")


def _photograph(url: str, out_dir: Path) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    written = []

    def shot(page, name: str) -> None:
        # JPEG: a PNG of a page full of text is two or three times the size.
        path = out_dir / f"{name}.jpg"
        page.screenshot(path=str(path), type="jpeg", quality=JPEG_QUALITY)
        written.append(path)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(base_url=url, viewport=WINDOW)
        page.set_default_timeout(90_000)
        expect.set_options(timeout=90_000)
        page.goto("/accounts/login/")
        page.fill("input[name=username]", USER)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/")

        page.goto("/?models=" + ",".join(MODELS))
        page.get_by_test_id("prompt").fill(PROMPT)
        page.get_by_test_id("run").click()
        # Mid-run: the quick columns have answered, the slow one is still writing.
        expect(page.locator('[data-testid=result][data-status="done"]')).to_have_count(3)
        shot(page, "compare-mid-run")

        expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "done")
        expect(page.get_by_test_id("badge").first).to_be_visible()
        page.get_by_test_id("result").first.evaluate("r => r.scrollIntoView({block: 'start'})")
        page.evaluate("window.scrollBy(0, -60)")
        shot(page, "finished-run")

        page.locator('[data-testid=result][data-model="demo/reasoner"]').get_by_test_id(
            "inspect-column"
        ).click()
        expect(page.get_by_test_id("column-inspector")).to_be_visible()
        shot(page, "inspector")
        browser.close()
    return written
