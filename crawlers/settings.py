"""Crawler defaults: every Scrapy setting hybridwatch relies on, grouped, with units.

``hybridwatch.crawl`` starts from ``CRAWLER_SETTINGS``, adds what a run needs (User-Agent, per-source
download slots, the batch file, the local proxy) and, when every selected source is local (the offline
fixture web), applies ``LOCAL_SOURCE_OVERRIDES`` so tests and the demo finish in seconds.
"""

from typing import Any, Final

CRAWLER_SETTINGS: Final[dict[str, Any]] = {
    # --- identity and politeness ---
    "ROBOTSTXT_OBEY": True,
    "COOKIES_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "DOWNLOAD_DELAY": 2.0,  # seconds between requests to one host; per-source slots override it
    "DOWNLOAD_DELAY_JITTER": 0.5,  # each delay varies by up to ±50 %
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 2.0,  # seconds
    "AUTOTHROTTLE_MAX_DELAY": 60.0,  # seconds
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,  # requests in flight per host that autothrottle aims at
    # --- bounds for hostile responses (time and memory) ---
    "DOWNLOAD_TIMEOUT": 30,  # seconds per request
    "DOWNLOAD_MAXSIZE": 5 * 1024 * 1024,  # bytes, after decompression too (gzip bombs stop here)
    "DOWNLOAD_WARNSIZE": 2 * 1024 * 1024,  # bytes
    "DOWNLOAD_FAIL_ON_DATALOSS": True,  # a truncated response is an error, not a short page
    "REDIRECT_MAX_TIMES": 5,  # redirects per request; more is a loop
    "METAREFRESH_ENABLED": False,  # meta refresh would bypass the redirect guard's view of hosts
    "CLOSESPIDER_TIMEOUT": 1800,  # seconds: a whole run never exceeds half an hour
    # --- retries: initial request + 2 retries = 3 requests ---
    "RETRY_ENABLED": True,
    "RETRY_TIMES": 2,
    "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 522, 524, 408],
    "RETRY_BACKOFF_BASE_S": 2.0,  # seconds before the first retry without Retry-After; doubles after
    "RETRY_BACKOFF_MAX_S": 60.0,  # seconds
    "RETRY_AFTER_MAX_S": 120.0,  # seconds: a longer Retry-After is reported and left for the next run
    "RETRY_GIVE_UP_LOG_LEVEL": "INFO",
    # --- components ---
    "SOURCEGUARD_ENABLED": True,
    "SOURCEGUARD_RESOLVE_HOSTS": True,  # refuse host names that resolve to private addresses
    "BATCHWRITER_ENABLED": True,
    "DOWNLOADER_MIDDLEWARES": {
        "crawlers.middlewares.SourceGuardMiddleware": 50,  # before robots.txt: refused hosts get no request
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "crawlers.middlewares.RetryAfterMiddleware": 550,
        "crawlers.middlewares.LocalProxyMiddleware": 740,  # before HttpProxyMiddleware (750) reads meta
    },
    "ITEM_PIPELINES": {
        "crawlers.pipelines.RawItemPipeline": 100,
        "crawlers.pipelines.DedupePipeline": 200,
        "crawlers.pipelines.BatchWriterPipeline": 900,
    },
    "SPIDER_MIDDLEWARES": {
        # Scrapy's offsite filter needs one allowed_domains list per spider; ours is per source.
        "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    },
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "INFO",
    "LOG_INSTALL_ROOT_HANDLER": False,  # the crawl subprocess configures logging itself
}

#: Applied when every selected source is local: the fixture web answers in milliseconds, so waiting
#: like on the real web would only slow tests. The hostile cases still hit every bound.
LOCAL_SOURCE_OVERRIDES: Final[dict[str, Any]] = {
    "DOWNLOAD_DELAY": 0.0,
    "AUTOTHROTTLE_START_DELAY": 0.0,
    "AUTOTHROTTLE_MAX_DELAY": 0.5,  # seconds
    "DOWNLOAD_TIMEOUT": 2,  # seconds; the fixture's slow page stalls for 8
    "DOWNLOAD_MAXSIZE": 2 * 1024 * 1024,  # bytes
    "RETRY_BACKOFF_BASE_S": 0.1,
    "RETRY_BACKOFF_MAX_S": 0.5,
    "RETRY_AFTER_MAX_S": 5.0,
    "SOURCEGUARD_RESOLVE_HOSTS": False,  # local host names are fixture names, resolved by the proxy
    "CLOSESPIDER_TIMEOUT": 300,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
}
