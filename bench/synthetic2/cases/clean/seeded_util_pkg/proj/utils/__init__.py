from .misc import set_seed
