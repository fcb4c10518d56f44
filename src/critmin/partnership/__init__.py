"""De-risking: partnership analysis, sourcing optimiser, stockpile sizing, product exposure, projects.

Layering rule: these modules take and return frames and arrays and read nothing themselves (callers
pass what they read through :mod:`critmin.api`); they never import the store, SQL, the importers or
the interfaces.
"""
