"""Pure business rules: no FastAPI, SQLAlchemy or pydantic in here.

Everything in this package is plain Python over plain values, so the rules can be tested in
microseconds and read without knowing how they are stored or served.
"""

MAX_POINTS = 1_000_000_000
