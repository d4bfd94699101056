"""Executors: where a run's worker body (:func:`agents.runs.training.train`) runs.

* :mod:`~agents.runs.workers.inline`: in a thread of the calling process (the headless trainer);
* :mod:`~agents.runs.workers.process`: in a child process of its own (the server), forked from a warm
  forkserver, watched for crashes, memory and silence.

Both deliver the body's events to the run handle in order, then call its ``on_exit`` exactly once.
"""
