from kerasmigrate.passes.upgrade.weightless_trainable import weightless_trainable as run

from .helpers import check_pass


def test_dropped_where_keras_3_does_not_take_it():
    before = {"class_name": "SpatialDropout1D", "config": {"name": "d", "trainable": True, "rate": 0.1}}
    after = {"class_name": "SpatialDropout1D", "config": {"name": "d", "rate": 0.1}}
    check_pass(
        run,
        before,
        after,
        noops=[
            {"class_name": "Dropout", "config": {"name": "d", "trainable": True}},
            {"class_name": "Dense", "config": {"name": "d", "trainable": False}},
        ],
    )
