from kerasmigrate.passes.target.object_class_names import object_class_names as run

from .release_helpers import call, check_release_pass


def lstm(initializer_class):
    return {
        "class_name": "LSTM",
        "config": {
            "name": "l",
            "recurrent_initializer": {
                "module": "keras.initializers",
                "class_name": initializer_class,
                "config": {"gain": 1.0, "seed": None},
                "registered_name": None,
            },
        },
    }


def test_orthogonal_spelled_as_keras_3_3_and_3_6_wrote_it():
    check_release_pass(run, lstm("Orthogonal"), lstm("OrthogonalInitializer"), "3.3.3")
    check_release_pass(run, lstm("Orthogonal"), lstm("OrthogonalInitializer"), "3.6.0")


def test_later_releases_keep_the_short_name():
    entry = lstm("Orthogonal")
    assert call(run, entry, "3.9.2") is entry
    assert call(run, entry, "3.15.1") is entry
