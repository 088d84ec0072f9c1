"""The Scrapy project: spiders per source type (feeds, sitemaps, listing pages, Telegram previews),
item pipelines, middlewares, settings and article extraction. Spiders emit ``hybridwatch.schema.RawItem``
and read their sources from the registry (``hybridwatch.config.load_sources``).

Modules: ``settings`` (all crawler defaults), ``spiders/`` (thin: which URLs to request), ``extract``
(article text, title, date, author), ``charset`` (decoding regional legacy charsets), ``canonical`` (URL
canonicalisation), ``feeds`` and ``xmlsafe`` (RSS/Atom/sitemaps through a parser that refuses DTDs),
``telegram`` (channel previews), ``middlewares`` (domain and private-address guard, local proxy,
Retry-After), ``pipelines`` (validate, dedupe, write), ``ledger`` (outcome counts), ``seen`` (seen-state),
``run`` (the crawl subprocess) and ``fixture_web`` (the offline fixture web used by tests and the demo).
"""
