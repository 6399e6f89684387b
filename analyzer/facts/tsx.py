"""Placeholder: replaced by the real tsx facts."""

class TsxFacts:
    def __init__(self, source):
        self.source = source

    @classmethod
    def build(cls, source):
        return cls(source)

    def summary(self):
        return {}
