"""Disruption scenarios: specs, the trade networks they hit, the shock cascade, Monte Carlo and scale-out."""
