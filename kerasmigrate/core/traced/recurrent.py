"""A Keras LSTM or GRU layer in a traced function: the call of its `standard_lstm` /
`standard_gru` function becomes the Keras 3 layer with the cell's weights.

Boundary: tf.keras 2.x's LSTM and GRU (the v2 layers, TF 2.0-2.15 and tf_keras) run, when
their configuration fits cuDNN (activation tanh, recurrent_activation sigmoid, no recurrent
dropout, use_bias, not unrolled; GRU also reset_after=True: `_could_use_gpu_kernel`), the
function `standard_lstm(inputs, init_h, init_c, kernel, recurrent_kernel, bias, mask, …)`
returning `(last_output, outputs, h, c, runtime)`, or `standard_gru(inputs, init_h, kernel,
recurrent_kernel, bias, mask, …)` returning `(last_output, outputs, h, runtime)`; the Python
arguments (time_major, go_backwards, return_sequences) are traced into its body: a Transpose of
`inputs` to time-major when the input is batch-major, a ReverseV2 when it goes backwards
(tf_keras/layers/rnn/lstm.py and gru.py `standard_lstm`, `standard_gru`, `backend.rnn`). The
TensorFlow version traced with a mask has the mask as a further input: refused. The weights
keep their layout (kernel, recurrent_kernel, bias; the gates i, f, c, o and z, r, h in the
same order in Keras 3's cells).
"""

from __future__ import annotations

from kerasmigrate.core.traced.inline import Filled, Op, Out, Read, TracedRefusal, Variable
from kerasmigrate.core.traced.translate import Graph, owner_name


def _zeros(value) -> bool:
    """A zero initial state: Fill(shape, 0) (folded by inline.py)."""
    return isinstance(value, Filled) and value.value == 0.0


def _refuse(op: Op, why: str):
    raise TracedRefusal(why, op=op.op, function=op.function, scope=op.scope)


def recurrent_layer(graph: Graph, op: Op) -> None:
    kind = op.attrs["kind"]
    if op.attrs["masked"]:
        _refuse(op, "is called with a mask")
    if not op.attrs["batch_major"]:
        _refuse(op, "runs on time-major inputs (time_major=True)")
    states = 2 if kind == "lstm" else 1
    x, initial, weights = op.inputs[0], op.inputs[1 : 1 + states], op.inputs[1 + states :]
    if not all(_zeros(s) for s in initial):
        _refuse(op, "starts from given initial states")
    used = [bool(graph.users(Out(op, i))) for i in range(3 + states)]
    if used[-1]:
        _refuse(op, "has its runtime output read")
    if used[0] and used[1]:
        _refuse(op, "has both its last output and its sequence read")
    x_shape = graph_shape(op, 1)
    if used[1] and x_shape is not None and len(x_shape) == 3 and x_shape[1] == 1 and _time_steps(graph, op) != 1:
        _refuse(op, "was traced without return_sequences but its sequence output is read")
    if len(weights) != 3 or not all(isinstance(w, (Read, Variable)) for w in weights):
        _refuse(op, "takes its weights from computed tensors")
    units = graph.variables(weights[1].node_id).shape[0]
    class_name = "LSTM" if kind == "lstm" else "GRU"
    name = graph.unique(owner_name(op) or op.name)
    for value, var in zip(weights, ("kernel", "recurrent_kernel", "bias")):
        # TF 2.2 passes the variables themselves, read inside the loop function
        graph.weight(Read(value.node_id) if isinstance(value, Variable) else value, op, name, var)
    return_state = any(used[2 : 2 + states])
    config = {"name": name, "trainable": True, "dtype": "float32", "units": int(units)}
    config.update(activation="tanh", recurrent_activation="sigmoid", use_bias=True, return_sequences=used[1])
    config.update(return_state=return_state, go_backwards=op.attrs["go_backwards"], stateful=False, unroll=False)
    if kind == "gru":
        config["reset_after"] = True
    outputs = [Out(op, 1 if used[1] else 0)]
    if return_state:
        outputs += [Out(op, 2 + i) for i in range(states)]
    graph.add_layer(op, class_name, config, [graph.tensor(x, op)], outputs)
    if return_state and not used[1]:
        graph.tensors[(id(op), 0)] = graph.tensors[(id(op), 2)]  # the last output is the state h


def graph_shape(op: Op, index: int) -> list | None:
    return op.output_shape(index)


def _time_steps(graph: Graph, op: Op) -> int | None:
    x = op.inputs[0]
    shape = x.op.output_shape(x.index) if isinstance(x, Out) else None
    return shape[1] if shape and len(shape) == 3 else None
