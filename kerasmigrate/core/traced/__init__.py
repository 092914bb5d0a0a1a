"""Subclassed Keras models and code-less custom layers of a SavedModel, translated from the
functions TensorFlow traced when it saved them into ordinary Keras 3 layers and `keras.ops` nodes.

    library.py    the function library and the object graph's concrete functions, read as data
    inline.py     one inference function, nested calls inlined, captured variables resolved
    op_table.py   TensorFlow ops -> Keras 3 layers and ops (with each op's semantics' source)
    translate.py  the flat graph -> a Functional config and its weights
    model.py      the entries core/savedmodel.py calls

Nothing here imports TensorFlow or executes anything from the file.
"""
