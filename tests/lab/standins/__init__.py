"""Stand-ins for the verdicts helper's modules, used ONLY until its branch is merged.

`tests/lab/conftest.py` installs them when `primebench.lab.verdicts` / `disturbance`
cannot be imported; once the real modules exist, the real ones are used and these are dead
code to delete. They follow the signatures agreed in the lab-api note, nothing more.
"""
