"""The form that starts an export from the browser (Q166)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from demo.tasks.exports import FORMATS


class ExportForm(FlaskForm):
    """Pick a format; FlaskForm adds the CSRF token."""

    format = SelectField("Format", choices=[SelectChoice(fmt, fmt.upper()) for fmt in FORMATS])
