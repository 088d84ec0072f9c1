"""Every exception hybridwatch raises on purpose, under one base class.

The type decides an error's fate: a ``ConfigError`` stops the program before work starts,
a ``BatchFormatError`` sends one line to the dead-letter file, a ``RetryableError`` asks the
caller (CLI run, Airflow task) to try again later.
"""


class HybridwatchError(Exception):
    """Base class of all hybridwatch errors."""


class ConfigError(HybridwatchError):
    """Settings or a registry file are invalid; the message names file, line and field."""


class BatchFormatError(HybridwatchError):
    """A line of a JSONL batch cannot be parsed or validated; the message names file and line."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class StoreError(HybridwatchError):
    """A store refused an operation for a reason that retrying will not fix."""


class RetryableError(HybridwatchError):
    """A transient failure (network, overloaded cluster); the whole operation may be retried."""


class LabelError(HybridwatchError):
    """A label cannot be recorded (unknown item, narrative or verdict); the message says which."""


class ExportError(HybridwatchError):
    """An export cannot be written (bad destination, bad options); nothing partial is left behind."""


class KibanaError(HybridwatchError):
    """Kibana saved objects are invalid, or Kibana refused an import; the message says what and where."""


class CrawlError(RetryableError):
    """The crawl subprocess failed (it crashed or ran past its time limit); retrying may help."""


class DeliveryError(HybridwatchError):
    """A digest could not be delivered for a reason retrying will not fix (login refused, certificate not
    trusted, recipient rejected); the message names the channel and the reason, never a secret."""


class HealthError(HybridwatchError):
    """The store health report lists problems (no fresh items, dead letters waiting); it names them."""


class IngestError(HybridwatchError):
    """Some source groups of an ingest cycle failed (the others were indexed); it names them."""
