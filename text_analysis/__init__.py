"""Pure-Python text analysis at the bottom of the layers: the one vocabulary and word count.

Nothing here imports Django or any app; every app may import it.
"""
