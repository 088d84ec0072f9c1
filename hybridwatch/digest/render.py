"""Render a digest as e-mail-safe HTML (inline CSS, table layout) and as plain text.

Mail clients drop ``<style>`` blocks and most layout CSS, so every element carries its own ``style``
attribute and the layout is a fixed-width table. Charts are referenced through a caller-chosen ``src``
(``cid:`` for a MIME related part, a ``data:`` URI for a standalone file). Item content is escaped; only
http(s) links become anchors.
"""

import base64
import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from hybridwatch.digest.charts import CHART_HEIGHT_PX, CHART_WIDTH_PX, sparkline_png
from hybridwatch.digest.compute import ActorRise, Digest, SilentSource, Spike, StoryCluster, TopItem
from hybridwatch.digest.labels import COUNTRY_NAMES, DIGEST_LANGUAGES, LABELS, NARRATIVE_NAMES
from hybridwatch.digest.spikes import (
    BASELINE_DAYS,
    MIN_BASELINE_RATE_PER_DAY,
    SPIKE_MAX_TAIL_PROBABILITY,
    SPIKE_MIN_COUNT,
)
from hybridwatch.errors import ConfigError

#: Domain part of chart Content-IDs (any stable string; it only has to be unique within the message).
CONTENT_ID_DOMAIN: Final = "digest.hybridwatch"
_FONT: Final = "font-family:Arial,Helvetica,sans-serif;"
_MUTED: Final = "color:#5b6270;"
_SECTION: Final = f"{_FONT}font-size:17px;font-weight:bold;color:#1d2733;padding:22px 0 6px 0;"
_NOTE: Final = f"{_FONT}font-size:12px;{_MUTED}"
_ROW: Final = "padding:8px 0;border-bottom:1px solid #e3e6ea;vertical-align:top;"


@dataclass(frozen=True)
class RenderedDigest:
    """A digest ready to deliver: subject, both bodies and the chart images by Content-ID."""

    subject: str
    html: str
    text: str
    #: PNG bytes per Content-ID (without angle brackets), in the order the charts appear.
    charts: dict[str, bytes]


def content_id(spike: Spike) -> str:
    """Return the Content-ID (without angle brackets) of a spike's chart."""
    return f"{spike.chart_id}@{CONTENT_ID_DOMAIN}"


def cid_src(spike: Spike) -> str:
    """Chart ``src`` for an e-mail: the related MIME part."""
    return f"cid:{content_id(spike)}"


def data_uri_src(spike: Spike) -> str:
    """Chart ``src`` for a standalone HTML file: the PNG inline."""
    png = sparkline_png(spike.daily_counts, spike.baseline_mean)
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_digest(
    digest: Digest, language: str, chart_src: Callable[[Spike], str] = cid_src
) -> RenderedDigest:
    """Render ``digest`` with labels in ``language`` (one of DIGEST_LANGUAGES)."""
    if language not in DIGEST_LANGUAGES:
        raise ConfigError(f"digest language {language!r} is not one of {', '.join(DIGEST_LANGUAGES)}")
    words = _Words(language, ZoneInfo(digest.timezone))
    charts = {
        content_id(spike): sparkline_png(spike.daily_counts, spike.baseline_mean) for spike in digest.spikes
    }
    return RenderedDigest(
        subject=words.label(
            "subject",
            day=words.day(digest.day),
            spikes=len(digest.spikes),
            clusters=len(digest.clusters),
            flagged=digest.flagged_on_day,
        ),
        html=_html(digest, words, chart_src),
        text=_text(digest, words),
        charts=charts,
    )


class _Words:
    """Labels, names and number formats of one language."""

    def __init__(self, language: str, tz: ZoneInfo) -> None:
        self.language = language
        self.tz = tz
        self._labels = LABELS[language]

    def label(self, key: str, **values: object) -> str:
        return self._labels[key].format(**values)

    def narrative(self, narrative_id: str) -> str:
        return NARRATIVE_NAMES[self.language].get(narrative_id, narrative_id)

    def country(self, code: str | None) -> str:
        return COUNTRY_NAMES[self.language].get(code or "", code or "?")

    def number(self, value: float) -> str:
        text = f"{value:.1f}"
        return text.replace(".", ",") if self.language == "sr-Latn" else text

    def score(self, value: float) -> str:
        text = f"{value:.2f}"
        return text.replace(".", ",") if self.language == "sr-Latn" else text

    def quote(self, text: str) -> str:
        return f"„{text}“" if self.language == "sr-Latn" else f"“{text}”"

    def probability(self, value: float) -> str:
        text = f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"
        return text.replace(".", ",") if self.language == "sr-Latn" else text

    def day(self, value: date) -> str:
        return (
            f"{value.day}. {value.month}. {value.year}." if self.language == "sr-Latn" else value.isoformat()
        )

    def time(self, value: datetime | None) -> str:
        return value.astimezone(self.tz).strftime("%H:%M") if value else "--:--"

    def spike_rule(self) -> str:
        return self.label(
            "spike_rule",
            min_count=SPIKE_MIN_COUNT,
            max_p=self.probability(SPIKE_MAX_TAIL_PROBABILITY),
            days=BASELINE_DAYS,
            floor=self.number(MIN_BASELINE_RATE_PER_DAY),
        )


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _link(text: str, url: str | None) -> str:
    if url and url.startswith(("https://", "http://")):
        return f'<a href="{_e(url)}" style="color:#0b57a4;text-decoration:underline;">{_e(text)}</a>'
    return _e(text)


# --- phrases both parts share ----------------------------------------------------------------------


def _summary(digest: Digest, words: _Words) -> str:
    return words.label(
        "summary",
        items=digest.items_on_day,
        flagged=digest.flagged_on_day,
        day=words.day(digest.day),
        tz=digest.timezone,
    )


def _spike_count(spike: Spike, words: _Words) -> str:
    return words.label("spike_count", count=spike.count, mean=words.number(spike.baseline_mean))


def _spike_stat(spike: Spike, words: _Words) -> str:
    return words.label("spike_stat", count=spike.count, p=words.probability(spike.tail_probability))


def _cluster_facts(cluster: StoryCluster, words: _Words) -> list[str]:
    facts = [
        f"{words.label('countries')}: {', '.join(words.country(c) for c in cluster.countries)}",
        f"{words.label('scripts')}: {', '.join(words.label(s) for s in cluster.scripts)}",
        f"{cluster.size} {words.label('copies')}",
    ]
    if cluster.first_seen_at:
        facts.append(f"{words.label('first_seen')} {words.time(cluster.first_seen_at)}")
    return facts


def _item_meta(item: TopItem, words: _Words) -> str:
    return (
        f"{item.outlet} · {words.country(item.country)} · {words.time(item.published_at)}"
        f" · {words.label('risk')} {words.score(item.risk)}"
    )


def _actor_line(actor: ActorRise, words: _Words) -> str:
    return words.label("actor_count", count=actor.count, mean=words.number(actor.baseline_mean))


def _silent_line(source: SilentSource, words: _Words) -> str:
    return words.label(
        "silent_line",
        mean=words.number(source.baseline_mean),
        active=source.active_days,
        days=BASELINE_DAYS,
        p=words.probability(source.silence_probability),
    )


# --- HTML ------------------------------------------------------------------------------------------


def _html(digest: Digest, words: _Words, chart_src: Callable[[Spike], str]) -> str:
    summary = _summary(digest, words)
    sections = [
        _section(words.label("spikes"), [_spike_row(s, words, chart_src) for s in digest.spikes], words),
        f'<tr><td style="{_NOTE}padding:4px 0 0 0;">{_e(words.spike_rule())}</td></tr>',
        _section(words.label("clusters"), [_cluster_row(c, words) for c in digest.clusters], words),
        _section(words.label("top_items"), [_item_row(i, words) for i in digest.top_items], words),
        _section(
            words.label("actors"),
            [
                _plain_row(
                    f"<b>{_e(a.name)}</b> &nbsp;+{_e(words.number(a.rise))}",
                    _actor_line(a, words),
                )
                for a in digest.actors
            ],
            words,
        ),
        _section(
            words.label("silent"),
            [
                _plain_row(
                    f"<b>{_e(s.outlet)}</b> ({_e(words.country(s.country))})",
                    _silent_line(s, words),
                )
                for s in digest.silent_sources
            ],
            words,
        ),
    ]
    lang_attr = "sr-Latn" if words.language == "sr-Latn" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang_attr}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(words.label('title'))} {_e(words.day(digest.day))}</title></head>"
        '<body style="margin:0;padding:0;background:#f2f4f7;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="background:#f2f4f7;"><tr><td align="center" style="padding:16px 8px;">'
        '<table role="presentation" width="640" cellpadding="0" cellspacing="0" border="0" '
        'style="width:640px;max-width:100%;background:#ffffff;border:1px solid #dde1e6;">'
        f'<tr><td style="background:#1d2733;padding:16px 20px;{_FONT}color:#ffffff;">'
        f'<div style="font-size:20px;font-weight:bold;">{_e(words.label("title"))}</div>'
        f'<div style="font-size:14px;color:#c9d1db;padding-top:4px;">{_e(summary)}</div></td></tr>'
        '<tr><td style="padding:0 20px 20px 20px;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">'
        + "".join(sections)
        + f'<tr><td style="{_NOTE}padding:22px 0 0 0;">{_e(words.label("footer"))}</td></tr>'
        "</table></td></tr></table></td></tr></table></body></html>\n"
    )


def _section(title: str, rows: list[str], words: _Words) -> str:
    body = "".join(rows) or _plain_row(f'<span style="{_MUTED}">{_e(words.label("nothing"))}</span>', "")
    return (
        f'<tr><td style="{_SECTION}">{_e(title)}</td></tr>'
        '<tr><td><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">'
        f"{body}</table></td></tr>"
    )


def _plain_row(main: str, detail: str) -> str:
    detail_html = f'<div style="font-size:13px;{_MUTED}padding-top:2px;">{_e(detail)}</div>' if detail else ""
    return f'<tr><td style="{_ROW}{_FONT}font-size:14px;color:#1d2733;">{main}{detail_html}</td></tr>'


def _spike_row(spike: Spike, words: _Words, chart_src: Callable[[Spike], str]) -> str:
    image = (
        f'<img src="{_e(chart_src(spike))}" width="{CHART_WIDTH_PX}" height="{CHART_HEIGHT_PX}" '
        f'alt="{_e(" ".join(str(n) for n in spike.daily_counts))}" '
        'style="display:block;border:0;outline:none;text-decoration:none;">'
        f'<div style="{_NOTE}font-size:11px;padding-top:2px;">'
        f"{_e(words.label('chart_caption', days=len(spike.daily_counts)))}</div>"
    )
    return (
        "<tr>"
        f'<td width="{CHART_WIDTH_PX + 12}" style="{_ROW}padding-right:12px;">{image}</td>'
        f'<td style="{_ROW}{_FONT}font-size:14px;color:#1d2733;">'
        f"<b>{_e(words.narrative(spike.narrative))}</b> · {_e(words.country(spike.country))}"
        f'<div style="font-size:13px;padding-top:2px;color:#b01e2d;font-weight:bold;">'
        f"{_e(_spike_count(spike, words))}</div>"
        f'<div style="font-size:12px;{_MUTED}padding-top:2px;">'
        f"{_e(_spike_stat(spike, words))}"
        "</div></td></tr>"
    )


def _cluster_row(cluster: StoryCluster, words: _Words) -> str:
    facts = _cluster_facts(cluster, words)
    narratives = ", ".join(words.narrative(n) for n in cluster.narratives)
    return (
        f'<tr><td style="{_ROW}{_FONT}font-size:14px;color:#1d2733;">'
        f"<b>{_link(cluster.title, cluster.url)}</b>"
        f'<div style="font-size:13px;{_MUTED}padding-top:2px;">{_e(" · ".join(facts))}</div>'
        f'<div style="font-size:13px;{_MUTED}padding-top:2px;">'
        f"{_e(words.label('outlets'))}: {_e(', '.join(cluster.outlets))}</div>"
        + (
            f'<div style="font-size:13px;padding-top:2px;color:#1d2733;">'
            f"{_e(words.label('narratives'))}: <b>{_e(narratives)}</b></div>"
            if narratives
            else ""
        )
        + "</td></tr>"
    )


def _item_row(item: TopItem, words: _Words) -> str:
    meta = _item_meta(item, words)
    narratives = "".join(
        f'<div style="font-size:13px;padding-top:4px;color:#1d2733;">'
        f"<b>{_e(words.narrative(n.narrative))}</b> "
        f'<span style="{_MUTED}">{words.score(n.score)} ({_e(n.method)})</span>'
        + (
            f'<div style="font-size:12px;{_MUTED}padding:2px 0 0 10px;">{_e(words.label("evidence"))}: '
            + "; ".join(_e(words.quote(e)) for e in n.evidence)
            + "</div>"
            if n.evidence
            else ""
        )
        + "</div>"
        for n in item.narratives
    )
    copies = (
        f'<div style="font-size:12px;{_MUTED}padding-top:4px;">'
        f"{_e(words.label('other_copies', n=item.other_copies))}</div>"
        if item.other_copies
        else ""
    )
    return (
        f'<tr><td style="{_ROW}{_FONT}font-size:14px;color:#1d2733;">'
        f"<b>{_link(item.title, item.url)}</b>"
        f'<div style="font-size:13px;{_MUTED}padding-top:2px;">{_e(meta)}</div>{narratives}{copies}</td></tr>'
    )


# --- plain text ------------------------------------------------------------------------------------


def _text(digest: Digest, words: _Words) -> str:
    lines = [
        f"{words.label('title')} — {words.day(digest.day)}",
        _summary(digest, words),
    ]

    def section(title: str, body: list[str]) -> None:
        lines.extend(["", title, "=" * len(title)])
        lines.extend(body or [words.label("nothing")])

    spikes = []
    for n, spike in enumerate(digest.spikes, 1):
        spikes.append(f"{n}. {words.narrative(spike.narrative)} · {words.country(spike.country)}")
        spikes.append(f"   {_spike_count(spike, words)}; {_spike_stat(spike, words)}")
        spikes.append(
            f"   {words.label('chart_caption', days=len(spike.daily_counts))}: "
            f"{' '.join(str(c) for c in spike.daily_counts)}"
        )
    section(words.label("spikes"), spikes)
    lines.append(words.spike_rule())

    clusters = []
    for n, cluster in enumerate(digest.clusters, 1):
        clusters.append(f"{n}. {cluster.title}")
        clusters.append(f"   {'; '.join(_cluster_facts(cluster, words))}")
        clusters.append(f"   {words.label('outlets')}: {', '.join(cluster.outlets)}")
        if cluster.narratives:
            names = ", ".join(words.narrative(n) for n in cluster.narratives)
            clusters.append(f"   {words.label('narratives')}: {names}")
        if cluster.url:
            clusters.append(f"   {cluster.url}")
    section(words.label("clusters"), clusters)

    items = []
    for n, item in enumerate(digest.top_items, 1):
        items.append(f"{n}. {item.title}")
        items.append(f"   {_item_meta(item, words)}")
        for narrative in item.narratives:
            name, score = words.narrative(narrative.narrative), words.score(narrative.score)
            items.append(f"   {name} {score} ({narrative.method})")
            if narrative.evidence:
                quoted = "; ".join(words.quote(e) for e in narrative.evidence)
                items.append(f"     {words.label('evidence')}: {quoted}")
        if item.other_copies:
            items.append(f"   {words.label('other_copies', n=item.other_copies)}")
        if item.url:
            items.append(f"   {item.url}")
    section(words.label("top_items"), items)

    section(
        words.label("actors"),
        [f"- {a.name} +{words.number(a.rise)}: {_actor_line(a, words)}" for a in digest.actors],
    )
    section(
        words.label("silent"),
        [
            f"- {s.outlet} ({words.country(s.country)}): {_silent_line(s, words)}"
            for s in digest.silent_sources
        ],
    )
    lines.extend(["", words.label("footer"), ""])
    return "\n".join(lines)
