"""Lambda layers translated from their stored bytecode, never run.

bytecode/ reads the marshalled code object as data and evaluates it symbolically
into an expression (expr.py); translate.py turns that expression into Keras 3
built-in layers or `keras.ops` nodes. Nothing here calls `marshal.loads`, `eval`
or `exec`, creates a code object, or imports what the bytecode names.
"""
