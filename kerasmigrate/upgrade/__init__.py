"""Legacy -> Keras 3: inspect and convert `.h5` files of Keras 1, Keras 2, tf.keras and tf_keras,
and `.keras` archives of tf.keras 2.12-2.15.

inspect.py (what converting involves) -> convert.py (UPGRADE passes, the user's
mapping and classes by mapped_classes.py, checks.py, weights computed by
legacy_weights.py and computed_weights.py, training state by training.py, the
core writer; the report is report.py). mapping.py / custom_module.py: the user's
mapping for custom classes, functions and Lambda layers (only custom_module.py
imports Keras, when the user names a module; a Lambda's stored bytecode is read by
kerasmigrate/lambdas/bytecode).
"""
