"""Events: a register of export controls, sanctions and waivers, agreements, advisories and disruptions.

Layering rule: ``alerts``, ``extract`` and ``gazetteer`` are pure functions on frames and text, and
``scenario.from_event`` on specs; ``register`` reads and writes the store (through
:mod:`critmin.api` and the store gateway), and ``scenario.run_event`` runs a scenario on a store.
"""
