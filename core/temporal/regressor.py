"""Placeholder: replaced below."""
def load_regressor(body):
    return None
