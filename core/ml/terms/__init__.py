"""The term extractor: a second model kind, BIO token classification over words.

``spans`` (no torch) turns sentences into words, term spans into BIO tags and back, and scores
exact spans as SemEval does; ``data`` reads fully annotated sentences; ``extractor`` loads,
runs and saves a model folder; ``train`` fits one.
"""
