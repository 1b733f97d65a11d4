from .head import RoIHead
