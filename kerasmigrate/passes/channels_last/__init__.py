"""`convert --channels-last` passes: channels_first models rewritten to compute the same function channels_last."""
