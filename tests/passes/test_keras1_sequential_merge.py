import json
from pathlib import Path

from kerasmigrate.passes.upgrade.keras1_sequential_merge import keras1_sequential_merge as run

from .helpers import check_pass

FIXTURES = Path(__file__).parent / "fixtures" / "keras1_sequential_merge"


def test_merge_of_branches_becomes_a_functional_graph():
    before = json.loads((FIXTURES / "two_branches.before.json").read_text())
    after = json.loads((FIXTURES / "two_branches.after.json").read_text())
    check_pass(
        run,
        before,
        after,
        noops=[
            {
                "class_name": "Sequential",
                "config": [{"class_name": "Dense", "config": {"name": "d", "batch_input_shape": [None, 2]}}],
            }
        ],
    )
