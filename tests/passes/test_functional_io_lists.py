import pytest

from kerasmigrate.passes.keras3_releases import TargetRefusal
from kerasmigrate.passes.target.functional_io_lists import functional_io_lists as run

from .release_helpers import call, check_release_pass

BARE = (["x", 0, 0], ["o", 0, 0])
LISTS = ([["x", 0, 0]], [["o", 0, 0]])


def model(inputs, outputs):
    return {
        "class_name": "Functional",
        "config": {"name": "f", "layers": [], "input_layers": inputs, "output_layers": outputs},
    }


def test_3_3_reads_only_lists_of_one():
    two_inputs = model([["x", 0, 0], ["y", 0, 0]], [["o", 0, 0]])
    for context in ("top", "in_functional", "in_sequential", "in_wrapper"):
        check_release_pass(run, model(*BARE), model(*LISTS), "3.3.3", noops=[two_inputs], context=context)
    # several inputs stay as they are; the single output next to them becomes a list of one
    assert call(run, model([["x", 0, 0], ["y", 0, 0]], ["o", 0, 0]), "3.3.3") == two_inputs


def test_3_6_and_3_9_read_both_forms():
    for version in ("3.6.0", "3.9.2"):
        for entry in (model(*BARE), model(*LISTS)):
            assert call(run, entry, version, "in_sequential") is entry


def test_3_12_on_reads_a_list_of_one_output_as_a_list_inside_a_sequential():
    for version in ("3.12.4", "3.15.1"):
        for context in ("top", "in_functional"):
            entry = model(*LISTS)
            assert call(run, entry, version, context) is entry
        # only the output is misread: the list of one input stays
        check_release_pass(
            run,
            model(*LISTS),
            model([["x", 0, 0]], ["o", 0, 0]),
            version,
            noops=[model(*BARE)],
            context="in_sequential",
        )


def test_refused_when_no_form_is_read_as_one_tensor():
    class Table:
        functional_io = {
            "top": {
                "triple/triple": "fails: TypeError",
                "triple/list": "list",
                "list/triple": "fails: TypeError",
                "list/list": "list",
            }
        }

    class Release:
        version = "9.9.9"
        table = Table()

    with pytest.raises(TargetRefusal, match="reads no form of a single output_layers"):
        run(model(*BARE), Release(), "m", context="top")


def test_other_entries_untouched():
    seq = {"class_name": "Sequential", "config": {"name": "s", "layers": []}}
    assert call(run, seq, "3.3.3") is seq
