"""Uses hasattr/getattr with literal names and type checks."""


class Config:
    def __init__(self, **opts):
        self.threshold = opts.get("threshold", 0.5)
        self.verbose = opts.get("verbose", False)


def read_config(threshold: float = 0.5, verbose: bool = False) -> dict:
    cfg = Config(threshold=threshold, verbose=verbose)
    setattr(cfg, "threshold", round(getattr(cfg, "threshold", 0.0), 3))
    return {
        "threshold": cfg.threshold,
        "has_verbose": hasattr(cfg, "verbose"),
        "iterable": hasattr(cfg, "__iter__"),
        "is_config": type(cfg) is Config,
        "type_name": type(cfg).__name__,
        "kinds": [isinstance(v, (int, float)) for v in (threshold, verbose)],
        "callable": callable(read_config),
        "module": __name__,
    }
