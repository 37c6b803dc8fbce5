"""Identity: which live object a configured one is (list matching, canonical URLs) and which lists a run covers.

It sits below both the reader (``api``) and the planner (``engine``) and the applier
(``apply``), which all need the same answer to "is this the same object?", and imports
nothing but the model: every layer above may use it, it uses none of them.
"""
