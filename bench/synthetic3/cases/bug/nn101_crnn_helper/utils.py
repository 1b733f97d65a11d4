"""Shape helpers shared by the recognisers."""


def to_sequence(feat):
    """(batch, channels, height, width) conv features to a (width, batch, features) sequence."""
    b, c, h, w = feat.shape
    return feat.view(w, b, c * h)  # BUG: NN101


def count_params(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
