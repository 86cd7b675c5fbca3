"""Entry points: one module per route family or trigger; each translates and calls a service."""
