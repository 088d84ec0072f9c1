"""The Scrapy project: spiders per source type (feeds, sitemaps, listing pages, Telegram previews),
item pipelines, middlewares, settings and article extraction. Spiders emit ``hybridwatch.schema.RawItem``
and read their sources from the registry (``hybridwatch.config.load_sources``)."""
