"""How a run trains and is watched: the run handle, its live statistics, evaluation and the manager."""
