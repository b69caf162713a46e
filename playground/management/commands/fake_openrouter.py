import uvicorn
from django.core.management.base import BaseCommand, CommandError, CommandParser

from playground.fake_openrouter import FakeOpenRouter


class Command(BaseCommand):
    help = "Serve the simulated OpenRouter API (the demo models) on a local port."
    # It serves no Django code, so a broken project check should not stop it.
    requires_system_checks = ()

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument(
            "--time-scale",
            type=float,
            default=1.0,
            help="Multiplies every simulated delay; 0 streams without pauses.",
        )
        parser.add_argument(
            "--bench-models",
            action="store_true",
            help="Also offer the benchmark's models (bench/...), as `make bench` does.",
        )

    def handle(
        self,
        *args: object,
        host: str,
        port: int,
        time_scale: float,
        bench_models: bool,
        **options: object,
    ) -> None:
        if time_scale < 0:
            raise CommandError("--time-scale cannot be negative.")
        fake = FakeOpenRouter(time_scale=time_scale, bench_models=bench_models)
        self.stdout.write(f"Fake OpenRouter API at http://{host}:{port}/api/v1")
        self.stdout.write("Use any key; sk-or-v1-invalid is refused. Stop with Ctrl+C.")
        uvicorn.Server(uvicorn.Config(fake.asgi_app, host=host, port=port)).run()
