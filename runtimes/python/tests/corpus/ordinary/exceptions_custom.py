"""Custom exceptions and error handling."""


class AnalysisError(Exception):
    def __init__(self, message, code=400):
        super().__init__(message)
        self.code = code


class EmptyInput(AnalysisError):
    pass


def safe_ratio(numerator: float, denominator: float) -> dict:
    try:
        if denominator == 0:
            raise EmptyInput("denominator is zero", code=422)
        value = numerator / denominator
    except EmptyInput as exc:
        return {"error": str(exc), "code": exc.code, "args": list(exc.args)}
    except (TypeError, ValueError) as exc:
        raise AnalysisError("bad input") from exc
    else:
        return {"value": value}
    finally:
        pass
