"""Alert emails: validation alerts, optional success notes, and task-failure callbacks.

Every message goes through ``costclose.alerts.mail.send_mail`` (Airflow's SMTP connection).
"""

from __future__ import annotations

from costclose.alerts.callbacks import on_task_failure
from costclose.alerts.mail import AlertDeliveryError, send_mail
from costclose.alerts.validation_alert import send_validation_email

__all__ = ["AlertDeliveryError", "on_task_failure", "send_mail", "send_validation_email"]
