"""Upgrade passes: legacy Keras 1 / Keras 2 / tf.keras configs to Keras 3."""
