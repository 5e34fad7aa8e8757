"""Webhook subscriptions (admin): list with last delivery status, create, delete."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from flask import Blueprint
from pydantic import AnyHttpUrl, BaseModel, Field

from ..access import ADMIN
from ..services.data import webhooks
from ..services.event import setup
from .auth import Principal
from .registry import endpoint

bp = Blueprint("webhooks", __name__)
EventType = Literal["scan.admitted", "scan.denied", "alert.raised"]


class WebhookIn(BaseModel):
    url: AnyHttpUrl = Field(description="http(s) endpoint that receives signed POSTs")
    events: list[EventType] = Field(min_length=1, max_length=3)


class LastDelivery(BaseModel):
    event_type: str
    status: str
    attempts: int
    status_code: int | None
    error: str | None
    at: str | None


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    created_at: dt.datetime
    secret: str | None = Field(default=None, description="shown once, at creation")
    pending: int = 0
    delivered: int = 0
    failed: int = 0
    last: LastDelivery | None = None


class WebhookList(BaseModel):
    webhooks: list[WebhookOut]


class WebhookDeleted(BaseModel):
    deleted: bool


@endpoint(bp, "/webhooks", "GET", roles=ADMIN, response=WebhookList,
          summary="Webhooks with their deliveries by status and the last attempt")
def list_webhooks(who: Principal) -> WebhookList:
    hooks = webhooks.active(setup.current_event())
    stats = webhooks.stats([h.id for h in hooks])
    return WebhookList(webhooks=[
        WebhookOut(id=h.id, url=h.url, events=h.events, created_at=h.created_at, **stats[h.id])
        for h in hooks])


@endpoint(bp, "/webhooks", "POST", roles=ADMIN, body=WebhookIn, response=WebhookOut, status=201,
          summary="Subscribe a URL to scan.admitted / scan.denied / alert.raised")
def create_webhook(who: Principal, body: WebhookIn) -> WebhookOut:
    event = setup.current_event()
    hook = webhooks.create(event, str(body.url), list(body.events), who.name)
    return WebhookOut(id=hook.id, url=hook.url, events=hook.events, created_at=hook.created_at,
                      secret=hook.secret)


@endpoint(bp, "/webhooks/<int:webhook_id>", "DELETE", roles=ADMIN, response=WebhookDeleted,
          summary="Unsubscribe (pending deliveries are dropped)")
def delete_webhook(who: Principal, webhook_id: int) -> WebhookDeleted:
    webhooks.delete(setup.current_event(), webhook_id, who.name)
    return WebhookDeleted(deleted=True)
