"""hybridwatch: disinformation and hybrid-threat monitoring for the Western Balkans.

The package holds the core library (settings, item schema, registries, stores, pipeline stages)
and the ``hybridwatch`` command line. Crawling lives in ``crawlers``, language processing in ``nlp``.
"""

__version__ = "0.1.0"
