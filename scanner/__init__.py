"""regwarden's core: the inventory model, the graph, reach, rules and the CLI. Imports no connector or report."""

__version__ = "0.1.0"
