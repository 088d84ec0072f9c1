"""Stores: where analysed items and labels live (Elasticsearch in production, SQLite embedded)."""

from hybridwatch.settings import Settings
from hybridwatch.stores.base import SearchPage, Store, UpsertReport
from hybridwatch.stores.query import SearchQuery

__all__ = ["SearchPage", "SearchQuery", "Store", "UpsertReport", "open_store"]


def open_store(settings: Settings) -> Store:
    """Return the configured store: Elasticsearch when ``es_url`` is set, else the embedded SQLite file.

    The store is set up (tables, templates, indices) before it is returned.
    """
    store: Store
    if settings.es_url:
        from hybridwatch.stores.elastic import ElasticsearchStore

        store = ElasticsearchStore.from_settings(settings)
    else:
        from hybridwatch.stores.sqlite import SqliteStore

        store = SqliteStore(settings.sqlite_path)
    store.setup()
    return store
