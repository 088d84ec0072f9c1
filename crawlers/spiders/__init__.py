"""One spider per way of finding articles: feeds, sitemaps, listing pages, Telegram previews."""
