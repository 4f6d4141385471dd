"""Loading a project: ``assets.toml`` and its line scanner, the checks of every
field, Python assets (``@asset`` and the one ``module:function`` resolver), code
versions, and what is on disk when a run starts.

It turns declarations into a validated ``AssetGraph`` (model/), and reports
every problem at once, each at its ``file:line``.
"""
