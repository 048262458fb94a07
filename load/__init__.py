"""R9 Load (docs/reliability.md): a Locust scenario of the clerk's, salespeople's, finance's and the
manager's day against gunicorn on loopback. ``python -m load.run`` runs it; see load/run.py."""
