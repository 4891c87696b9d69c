"""Patient records across visits: a Django app (models, migrations, admin) and its library API.

Importing this package does not start Django: :func:`groundup.store.setup.configure_store` is the
one place that configures it (settings, database, media folder), and :mod:`groundup.store.api`
calls it. The CLI (``groundup patient``, ``groundup visit``, ``groundup store``) and the later web
app use the functions of :mod:`groundup.store.api`; see docs/records.md.
"""
