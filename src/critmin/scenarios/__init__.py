"""Disruption scenarios: specs, the trade networks they hit, the shock cascade, Monte Carlo and scale-out.

Layering rule: the engines (``spec``, ``cascade``, ``reference``, ``disruption``) take and return
arrays and frames and read nothing; the runners (``network``, ``run``, ``montecarlo``, ``backtest``,
``library``) read through :mod:`critmin.api`, never the store, SQL, the importers or the interfaces.
"""
