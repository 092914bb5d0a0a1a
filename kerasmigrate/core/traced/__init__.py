"""Subclassed Keras models and code-less custom layers of a SavedModel, translated from the
functions TensorFlow traced when it saved them into ordinary Keras 3 layers and `keras.ops` nodes.

    library.py    the function library and the object graph's concrete functions, read as data
    inline.py     one inference function, nested calls inlined, captured variables resolved
    op_table.py   TensorFlow ops -> Keras 3 layers and ops (with each op's semantics' source)
    recurrent.py  a Keras LSTM/GRU's standard_lstm/standard_gru call -> the LSTM/GRU layer
    translate.py  the flat graph -> a Functional config and its weights
    model.py      the object's inference function, traced and translated
    integrate.py  the entries core/savedmodel.py calls (a subclassed model; layers saved without a config)

Boundary: SavedModel directories written by tf.keras 2.0-2.15 and tf_keras `model.save` (the
Keras objects' `call_and_return_conditional_losses` functions, tf_keras/saving/legacy/saved_model/).

Nothing here imports TensorFlow or executes anything from the file.
"""
