"""Sea lanes and chokepoints: the route of every trade pair and the imports passing each strait.

- :mod:`critmin.sealanes.reference`: the chokepoints (gates across each strait), each country's
  routing ports, land borders, land-locked countries (bundled CSVs, ``docs/sealanes.md``);
- :mod:`critmin.sealanes.network`: searoute's maritime network with the gates marked;
- :mod:`critmin.sealanes.routes`: the route of each exporter -> importer pair;
- :mod:`critmin.sealanes.exposure`: shares of imports through each chokepoint.

Layering rule: pure computations on frames and the bundled reference tables; never the store,
the API, the scenarios, ingest, the CLI or DuckDB. :mod:`critmin.derived` stores what they
compute, :mod:`critmin.services.chokepoints` reads it, and the scenario engine calls them.
"""
