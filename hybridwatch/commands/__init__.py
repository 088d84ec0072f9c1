"""Click commands that live beside their stages; ``hybridwatch.cli`` registers them on the main group."""

import click

from hybridwatch.settings import Settings, load_settings


def settings_from(ctx: click.Context) -> Settings:
    """Return the settings of this command line, loaded once (``--config`` is given to the main group)."""
    obj = ctx.ensure_object(dict)
    if "settings" not in obj:
        obj["settings"] = load_settings(config_file=obj.get("config_file"))
    return obj["settings"]
