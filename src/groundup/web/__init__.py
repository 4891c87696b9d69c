"""The clinic web app: sign in, patients, a visit from upload to report, progress across visits.

A Django app on the records store (:mod:`groundup.store`): its settings extend the store's
programmatic configuration (:mod:`groundup.web.settings`), its views call the store's models and
audit trail, and analyses run as background jobs on a database-backed task queue
(:mod:`groundup.web.jobs`).
"""
