"""kerasmigrate: move Keras models across format generations, without running Keras to do it."""

__version__ = "0.1.0"
