"""`make smoke`: the deployment files, run for real without Docker (Q105, Q107, Q109, Q111,
Q112, Q113).

- `compose` reads docker-compose.yml, the Procfile and .env.example;
- `stack` runs them on loopback, with nginx/nginx.conf in front (rewritten for loopback by
  bench/nginx_local.py); `processes` starts and stops the processes, `backing` provides a
  fresh PostgreSQL database and an empty Redis database;
- `session` is the HTTP client and reads the logs; `checks` checks through nginx only;
- ``python -m scripts.smoke`` runs it all (``--port N``: the Procfile's web process instead).

tests/deploy/test_smoke.py and tests/deploy/test_procfile.py run the same inside the suite.
"""
