"""GitOps: what the shipped apply workflow applies, decided in Python (tested) and run by the action."""
