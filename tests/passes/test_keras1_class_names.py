from kerasmigrate.passes.upgrade.keras1_class_names import keras1_class_names as run

from .helpers import check_pass


def test_atrous_convolution_is_a_dilated_convolution():
    before = {"class_name": "AtrousConvolution2D", "config": {"name": "a", "atrous_rate": [2, 2]}}
    after = {"class_name": "Conv2D", "config": {"name": "a", "dilation_rate": [2, 2]}}
    check_pass(run, before, after, noops=[{"class_name": "Conv2D", "config": {"name": "c"}}])


def test_time_distributed_dense_is_a_dense():
    before = {"class_name": "TimeDistributedDense", "config": {"name": "t", "output_dim": 3, "input_length": 4}}
    check_pass(run, before, {"class_name": "Dense", "config": {"name": "t", "output_dim": 3}})
