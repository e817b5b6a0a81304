"""A bench run: the interleaved-rounds protocol over each scenario's plan, trials, the load
generators, and the arms (servers) they measure. Its output is a results document (the model).

The top of the lab below the commands: it runs the scenarios' plans (`lab.scenarios`) and
never imports the render building blocks or the pages, which draw the documents it wrote.
"""
