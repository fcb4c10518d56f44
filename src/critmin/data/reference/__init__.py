"""Reference tables: commodity catalog, source-name mappings, HS codes, places and aliases."""
