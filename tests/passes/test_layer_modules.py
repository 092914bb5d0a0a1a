from kerasmigrate.passes.upgrade.layer_modules import layer_modules as run

from .helpers import check_pass


def test_builtin_layer():
    before = {"class_name": "Dense", "config": {"name": "d"}, "name": "d", "inbound_nodes": []}
    after = {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"name": "d"},
        "registered_name": None,
        "name": "d",
        "inbound_nodes": [],
    }
    check_pass(run, before, after)


def test_functional_and_sequential():
    f = run(
        {
            "class_name": "Functional",
            "config": {"name": "f"},
            "module": "keras.src.engine.functional",
            "registered_name": "Functional",
        }
    )
    assert (f["module"], f["registered_name"]) == ("keras.src.models.functional", "Functional")
    s = run({"class_name": "Sequential", "config": {"name": "s"}})
    assert (s["module"], s["registered_name"]) == ("keras", None)


def test_unknown_class_left_for_validation():
    entry = {"class_name": "MyLayer", "config": {"name": "m"}}
    assert run(entry) is entry
