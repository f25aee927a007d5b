"""The scale benchmark: synthetic estates as bundles of provider-native files, and a timed runner.

``python -m bench`` (``make bench``) generates the three sizes (cached under ``bench/.estates``),
times every analysis stage in a fresh subprocess per size, compares with Cloudsplaining on the same
authorization-details file, writes ``bench/results.json`` and prints a table.
"""
