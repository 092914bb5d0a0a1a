from kerasmigrate.passes.registry import Source
from kerasmigrate.passes.upgrade.sequential_layer_names import sequential_layer_names as run

from .helpers import check_pass

BASE = {"class_name": "Model", "config": {"name": "base", "layers": []}}
HEAD = {"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"name": "h"}}]}


def test_unnamed_nested_sequential_is_named_by_position():
    source = Source("2.1.6", "tensorflow", ("base", "head"))
    check_pass(
        run,
        {"class_name": "Sequential", "config": [BASE, HEAD]},
        {"class_name": "Sequential", "config": [BASE, {**HEAD, "name": "head"}]},
        source=source,
    )


def test_no_guessing_when_the_names_do_not_line_up():
    entry = {"class_name": "Sequential", "config": [BASE, HEAD]}
    assert run(entry, Source("2.1.6", "tensorflow", ("other", "head"))) is entry
    assert run(entry, Source("2.1.6", "tensorflow", ("base",))) is entry
