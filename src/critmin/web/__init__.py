"""The REST API and the web dashboard: one FastAPI app (:func:`critmin.web.app.create_app`).

Layering rule: the web layer reads through :mod:`critmin.api`, :mod:`critmin.profiles`,
:mod:`critmin.derisking`, the scenario runners and :mod:`critmin.reports`; it never imports the
store, SQL, duckdb or the importers (imports go through ``Critmin.import_files_on_copy`` in a job
worker). Long computations run as jobs in worker processes (:mod:`critmin.web.jobs`), so the
server keeps answering while they run.
"""
