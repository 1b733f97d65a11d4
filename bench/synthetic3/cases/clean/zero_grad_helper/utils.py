def reset_grads(params):
    for p in params:
        p.grad = None
