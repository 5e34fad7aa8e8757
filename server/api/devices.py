"""Devices and API tokens: created with the token shown once, listed, revoked; a gate's
heartbeat."""

from __future__ import annotations

from flask import Blueprint

from shared.schemas import DeviceIn, DeviceOut, HeartbeatIn, HeartbeatOut

from .. import presenters
from ..access import ADMIN
from ..errors import Forbidden
from ..models import utcnow
from ..services.accounts import devices
from ..services.event import setup
from .auth import Principal
from .registry import endpoint
from .schemas import DeviceList

bp = Blueprint("devices", __name__)


@endpoint(bp, "/devices", "GET", roles=ADMIN, response=DeviceList,
          summary="Devices and tokens with their last reported state")
def list_devices(who: Principal) -> DeviceList:
    return DeviceList(devices=[presenters.device_out(d) for d in devices.list_all()])


@endpoint(bp, "/devices", "POST", roles=ADMIN, body=DeviceIn, response=DeviceOut, status=201,
          summary="Create a device token (shown once)")
def create_device(who: Principal, body: DeviceIn) -> DeviceOut:
    event = setup.current_event()
    record, token = devices.create(event, body.name, body.role, body.gate, actor=who.name)
    return presenters.device_out(record, token)


@endpoint(bp, "/devices/<int:device_id>/revoke", "POST", roles=ADMIN, response=DeviceOut,
          summary="Revoke a device token")
def revoke_device(who: Principal, device_id: int) -> DeviceOut:
    return presenters.device_out(devices.revoke(devices.get(device_id), actor=who.name))


@endpoint(bp, "/devices/heartbeat", "POST", roles=frozenset({"gate"}), body=HeartbeatIn,
          response=HeartbeatOut, summary="A gate reports its state")
def post_heartbeat(who: Principal, body: HeartbeatIn) -> HeartbeatOut:
    if who.device is None:
        raise Forbidden("only a device token reports heartbeats")
    event = setup.current_event()
    skew = devices.heartbeat(event, who.device, body)
    return HeartbeatOut(server_time=utcnow(), clock_skew_s=skew,
                        clock_warning=abs(skew) > devices.CLOCK_WARNING_S)
