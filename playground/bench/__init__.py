"""`make bench`: what the playground adds to the model's own latency, and how much it holds.

`python -m playground.bench` starts, each in a process group of its own:

- the fake OpenRouter (`manage.py fake_openrouter --bench-models`), whose `bench/paced`
  model streams one-token pieces on a fixed clock, each stamped with the moment it is due;
- the app under uvicorn with production settings: DEBUG off, 1 worker, a fresh SQLite
  file database (migrated), static files collected and served by WhiteNoise, and the
  server's key pointing it at the fake (`OPENROUTER_BASE_URL`);
- the bare relay (`bare_relay.py`): the least a relay of the same upstream streams can
  do, no Django, to measure the app against the machine's own limit;

then logs a person in and drives the full path a browser takes (the run's POST, its
stream's GET, the database writes) from a load client on loopback, measuring the same
streams straight from the fake in alternation, so both see the same machine, and the
same streams through the bare relay (figure 12: the app's figures over the bare relay's,
with the CPU share of each process where the load stopped). It prints a table against
the targets, writes every figure to `BENCH_JSON` (default
`bench-results.json`) as one flat JSON object, and stops every process it started.

`--smoke` runs every figure with tiny counts, to keep the harness working (`make test`).
"""
