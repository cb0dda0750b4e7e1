"""A person's record as its facts make it: the state (state.py), how each fact changes it (evolve.py), and what
follows from it (facts.py). Pure: both the write side and the read side import it."""
