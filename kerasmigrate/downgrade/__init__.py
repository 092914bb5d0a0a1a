"""Repair for old loaders: files a newer TensorFlow wrote, rewritten so that Keras 2.3.1,
TF 2.2 or TF 2.4 load them (the DOWNGRADE pass table); join of a weights-only file
and its JSON architecture into the full-model `.h5` those loaders read.

targets.py says what each loader accepts (data/legacy_targets.json); repair.py plans
and applies the rewrite, attributes only, weights untouched.
"""
