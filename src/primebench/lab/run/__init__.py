"""A bench run: scenarios, the interleaved-rounds protocol, trials, the load generators,
and the arms (servers) they measure. Its output is a results document (the model).

The top of the lab below the commands: it may import every other part except the report,
which renders documents this package wrote and never imports it.
"""
