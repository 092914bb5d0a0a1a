"""What every direction shares: read a file, walk its config, lay out and write weights.

reader.py (sniff by content; config + lazy weight references) · configs.py (walk
model configs) · graph.py (the Functional graph Keras 3 builds) · keras3.py and
tf_ops.py (tables of the pinned Keras 3) · layout.py (where each weight goes) ·
writer.py (the `.keras` zip, atomic) · rewrite.py (rewrite a file with a backup).
Nothing here imports TensorFlow or Keras, nor anything above it.
"""
