"""Lambda layers translated from their stored bytecode, never run.

bytecode/ reads the marshalled code object as data and evaluates it symbolically
into an expression (expr.py); translate.py turns that expression into Keras 3
built-in layers or `keras.ops` nodes. Nothing here calls `marshal.loads`, `eval`
or `exec`, creates a code object, or imports what the bytecode names.

    expr.py         the expression, as data
    vocabulary.py   the names old code spelled (K.*, tf.*, np.*, math.*) and their parameters
    emit.py         an expression -> Keras 3 steps (operators, subscripts, calls)
    forms.py        the Keras 3 form of each vocabulary function (image_forms.py: resize,
                    space_to_depth, depth_to_space)
    translate.py    one Lambda entry -> a built-in layer or op-node entries; previews for map init
    render.py       an expression as Python-like text
    values.py       tensors, steps, the writer, Untranslatable
"""
