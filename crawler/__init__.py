"""policyarchive: follow policy documents across regions and languages, and archive every version.

Packages by stage, in the order data flows; a module imports only from its own stage or an
earlier one (``tests/test_layout.py`` checks it):

``common`` -> ``declarations`` -> ``capture`` -> ``text`` -> ``archive`` -> ``evidence`` ->
``intake`` -> ``web``; ``cli`` and ``demo`` sit on top.
"""

__version__ = "0.1.0"
